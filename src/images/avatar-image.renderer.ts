import { Inject, Injectable, Optional } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createHash } from 'node:crypto';
import sharp, { OutputInfo, Sharp } from 'sharp';
import { avatarConfig } from '../config/avatar.config';
import { Metrics } from '../metrics/metrics';
import { IMAGE_FORMATS, ImageType } from './image-formats';
import { ImageRejectedError } from './image-rejected.error';
import { SourceChecks, inspectImage, openImage, withSourceErrors } from './image-source';
import * as thumbhash from 'thumbhash';

/** One encoded image, kept in memory: avatar variants are small, and the store takes them from there. */
export interface RenderedImage {
  role: 'variant' | 'avif' | 'jpeg' | 'original';
  /** Edge of the square in pixels; `null` for the original. */
  size: number | null;
  format: ImageType;
  contentType: string;
  data: Buffer;
  width: number;
  height: number;
  bytes: number;
  /** Hex digest of `data`. */
  sha256: string;
  extension: string;
}

export interface RenderedAvatar {
  source: { format: string; width: number; height: number };
  images: RenderedImage[];
  /** Base64 ThumbHash of the square crop, for a blurred preview while images load. */
  placeholder: string;
}

type Progress = (percent: number) => void | Promise<void>;

/** The part of the upload a client chose, in pixels of the upright image (after EXIF orientation). */
export interface SourceCrop {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface SharpOutput {
  data: Buffer;
  info: OutputInfo;
}

const JPEG = { mozjpeg: true, quality: 82 };
const AVIF = { quality: 55 };
const CROP_POSITIONS = { attention: sharp.strategy.attention, entropy: sharp.strategy.entropy, centre: 'centre' } as const;
/**
 * ThumbHash keeps only the lowest frequencies: from 32×32 pixels it encodes the same bytes as from 100×100 (its
 * documented maximum), at a tenth of the main-thread time.
 */
const PLACEHOLDER_EDGE = 32;

@Injectable()
export class AvatarImageRenderer {
  constructor(
    @Inject(avatarConfig.KEY) private readonly config: ConfigType<typeof avatarConfig>,
    // Absent where the renderer is used on its own (unit specs, the bench).
    @Optional() private readonly metrics?: Metrics,
  ) {}

  /**
   * Turns a staged upload into square WebP (and optionally AVIF) variants, one JPEG, optionally a clean original, and a
   * placeholder. The square is the client's `crop` when given, otherwise chosen by AVATAR_CROP. The source is decoded
   * once into the largest square; every output is encoded from it at the same time, so libvips keeps the cores busy.
   * Progress: 50 once decoded, 100 once everything is encoded. `checks`: what is already known of the source.
   */
  async render(sourcePath: string, onProgress?: Progress, crop?: SourceCrop, checks: SourceChecks = {}): Promise<RenderedAvatar> {
    const { sizes, keepOriginal } = this.config;
    const decoded = this.metrics?.stageTimer('decode');
    const source = await inspectImage(sourcePath, this.config, checks);
    if (crop) assertCropInside(crop, source);
    // Smaller sources are upscaled rather than skipped: clients can rely on every configured size existing.
    const square = await withSourceErrors(this.config, () => {
      const upright = openImage(sourcePath, this.config);
      const selected = crop ? upright.extract({ left: crop.x, top: crop.y, width: crop.width, height: crop.height }) : upright;
      return selected
        .resize(sizes[0], sizes[0], { fit: 'cover', position: crop ? 'centre' : CROP_POSITIONS[this.config.cropStrategy] })
        .raw()
        .toBuffer({ resolveWithObject: true });
    });
    decoded?.();
    await onProgress?.(50);
    const encoded = this.metrics?.stageTimer('encode');

    const withAvif = this.config.formats.includes('avif');
    const [images, placeholder] = await Promise.all([
      Promise.all([
        ...sizes.map((size) => this.encode('variant', size, 'webp', fromPixels(square).resize(size, size).webp())),
        ...(withAvif ? sizes.map((size) => this.encode('avif', size, 'avif', fromPixels(square).resize(size, size).avif(AVIF))) : []),
        this.encode('jpeg', sizes[0], 'jpeg', fromPixels(square).flatten({ background: '#ffffff' }).jpeg(JPEG)),
        ...(keepOriginal ? [this.encodeOriginal(sourcePath, source.type)] : []),
      ]),
      this.placeholder(square),
    ]);
    encoded?.();
    await onProgress?.(100);
    return { source: { format: source.type, width: source.width, height: source.height }, images, placeholder };
  }

  private async encodeOriginal(sourcePath: string, format: ImageType): Promise<RenderedImage> {
    const pipeline = openImage(sourcePath, this.config);
    const encoded = {
      // Plain libjpeg-turbo: at full resolution mozjpeg takes ~9× longer for ~20% fewer bytes on a rarely served file.
      jpeg: () => pipeline.jpeg({ quality: 90 }),
      png: () => pipeline.png(),
      webp: () => pipeline.webp({ quality: 90 }),
      gif: () => pipeline.gif(),
      // Effort 2: at full resolution the default effort takes several seconds for a rarely served file.
      avif: () => pipeline.avif({ quality: 70, effort: 2 }),
    }[format]();
    const output = await withSourceErrors(this.config, () => encoded.toBuffer({ resolveWithObject: true }));
    return described('original', null, format, output);
  }

  private async encode(role: RenderedImage['role'], size: number, format: ImageType, pipeline: Sharp): Promise<RenderedImage> {
    return described(role, size, format, await pipeline.toBuffer({ resolveWithObject: true }));
  }

  private async placeholder(square: SharpOutput): Promise<string> {
    const { data, info } = await fromPixels(square)
      .resize(PLACEHOLDER_EDGE, PLACEHOLDER_EDGE)
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return Buffer.from(thumbhash.rgbaToThumbHash(info.width, info.height, data)).toString('base64');
  }
}

function described(role: RenderedImage['role'], size: number | null, format: ImageType, { data, info }: SharpOutput): RenderedImage {
  return {
    role,
    size,
    format,
    contentType: IMAGE_FORMATS[format].contentType,
    data,
    width: info.width,
    height: info.height,
    bytes: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    extension: IMAGE_FORMATS[format].extension,
  };
}

function fromPixels({ data, info }: SharpOutput): Sharp {
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
}

function assertCropInside(crop: SourceCrop, source: { width: number; height: number }): void {
  const inside = crop.x + crop.width <= source.width && crop.y + crop.height <= source.height;
  if (!inside) {
    throw new ImageRejectedError(
      `the crop ${crop.width}×${crop.height} at (${crop.x}, ${crop.y}) does not fit the ${source.width}×${source.height} image`,
    );
  }
}
