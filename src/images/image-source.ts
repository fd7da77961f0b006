import { open } from 'node:fs/promises';
import sharp, { Metadata, Sharp, SharpOptions } from 'sharp';
import { ImageRejectedError } from './image-rejected.error';
import { ImageType, unsupportedFormatMessage } from './image-formats';
import { SNIFF_BYTES, sniffImageType, sniffRefusedFormat } from './image-sniffer';
import { countJpegScans, tooManyScansMessage } from './jpeg-scan-counter';

/** Bounds on the work one upload may cost the decoder. */
export interface DecodeLimits {
  maxPixels: number;
  maxJpegScans: number;
  decodeTimeoutSec: number;
}

/** An upload that passed every check made without decoding pixels. */
export interface InspectedImage {
  type: ImageType;
  /** As displayed, i.e. after EXIF orientation. */
  width: number;
  height: number;
}

/** What is already known of a source, so that it is not read twice for it. */
export interface SourceChecks {
  /** The JPEG scans the API counted as it received the bytes; held against the limit instead of counting again. */
  jpegScans?: number;
}

/**
 * Judges the upload from its header alone. Our own magic-byte check runs before sharp sees the file, so
 * SVG and PDF (which sharp would happily rasterise) never reach a decoder.
 */
export async function inspectImage(path: string, limits: DecodeLimits, checks: SourceChecks = {}): Promise<InspectedImage> {
  const header = await readHeader(path);
  const type = sniffImageType(header);
  if (type === null) {
    const refused = sniffRefusedFormat(header);
    throw new ImageRejectedError(refused ? unsupportedFormatMessage(refused) : 'not an image');
  }
  // Direct uploads reach the worker without passing through the API: their scans are counted here.
  if (type === 'jpeg' && (checks.jpegScans ?? (await countJpegScans(path, limits.maxJpegScans))) > limits.maxJpegScans) {
    throw new ImageRejectedError(tooManyScansMessage(limits.maxJpegScans));
  }
  // sharp refuses even to report dimensions beyond the pixel limit, so this also catches decompression bombs.
  const metadata = await withSourceErrors(limits, () => sharp(path, sourceOptions(limits)).metadata());
  if (!decodedAs(type, metadata) || !metadata.width || !metadata.height) {
    throw new ImageRejectedError('corrupt or truncated image');
  }
  if (metadata.width * metadata.height > limits.maxPixels) throw tooLarge(limits.maxPixels);
  return { type, width: metadata.autoOrient.width, height: metadata.autoOrient.height };
}

/** sharp reports AVIF as HEIF with AV1 compression; an HEVC payload behind an AVIF brand is no AVIF. */
function decodedAs(type: ImageType, metadata: Metadata): boolean {
  return type === 'avif' ? metadata.format === 'heif' && metadata.compression === 'av1' : metadata.format === type;
}

/**
 * A pipeline over the upload's first frame, upright, 8-bit sRGB; sharp copies no metadata to outputs by default.
 * libvips checks the deadline between pipeline stages, so one long libjpeg step (a whole progressive decode) can
 * overrun it: the scan limit above is what bounds that step.
 */
export function openImage(path: string, limits: DecodeLimits): Sharp {
  return sharp(path, sourceOptions(limits)).timeout({ seconds: limits.decodeTimeoutSec }).rotate().toColourspace('srgb');
}

/** Runs a pipeline that reads the upload, turning decoder failures into a rejection a retry cannot fix. */
export async function withSourceErrors<T>(limits: DecodeLimits, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof Error) || 'code' in error || error.message.startsWith('Input file is missing')) throw error;
    if (error.message.includes('pixel limit')) throw tooLarge(limits.maxPixels);
    if (error.message.startsWith('timeout')) {
      throw new ImageRejectedError(`the image took longer than ${limits.decodeTimeoutSec} s to decode; try a smaller or simpler image`);
    }
    throw new ImageRejectedError('corrupt or truncated image');
  }
}

function sourceOptions({ maxPixels }: DecodeLimits): SharpOptions {
  // 'error' also fails on truncation but tolerates the harmless warnings many phone JPEGs trigger.
  return { limitInputPixels: maxPixels, failOn: 'error', pages: 1, page: 0 };
}

function tooLarge(maxPixels: number): ImageRejectedError {
  return new ImageRejectedError(`image dimensions exceed ${Number((maxPixels / 1e6).toFixed(1))} megapixels`);
}

async function readHeader(path: string): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}
