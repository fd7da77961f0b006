import { BadRequestException } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { IsInt, Max, Min, validateSync } from 'class-validator';

const MAX_EDGE = 100_000;

/** The part of the image to use, in pixels of the image as displayed (after EXIF orientation). */
export class CropDto {
  /** Left edge. */
  @IsInt() @Min(0) @Max(MAX_EDGE) x: number;
  /** Top edge. */
  @IsInt() @Min(0) @Max(MAX_EDGE) y: number;
  @IsInt() @Min(1) @Max(MAX_EDGE) width: number;
  @IsInt() @Min(1) @Max(MAX_EDGE) height: number;
}

/**
 * The `crop` field of a multipart upload: JSON text, e.g. `{"x":0,"y":0,"width":640,"height":640}`. Judged in the
 * service rather than by the ValidationPipe so that a bad value can remove the already staged file.
 */
export function parseCropField(value: unknown): CropDto | undefined {
  if (value === undefined || value === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(value));
  } catch {
    throw new BadRequestException('crop must be JSON like {"x":0,"y":0,"width":640,"height":640}');
  }
  const crop = plainToInstance(CropDto, parsed);
  const errors = typeof parsed === 'object' && parsed !== null ? validateSync(crop, { whitelist: true, forbidNonWhitelisted: true }) : [];
  if (typeof parsed !== 'object' || parsed === null || errors.length > 0) {
    const reasons = errors.flatMap((error) => Object.values(error.constraints ?? {}));
    throw new BadRequestException(`crop must be {x, y, width, height} in whole pixels${reasons.length ? `: ${reasons.join(', ')}` : ''}`);
  }
  return { x: crop.x, y: crop.y, width: crop.width, height: crop.height };
}
