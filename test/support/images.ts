import sharp from 'sharp';

/** A plain JPEG of one colour: small, valid, and different per colour (so a different content-hash key). */
export function solidJpeg(width: number, height: number, colour: string): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } }).jpeg().toBuffer();
}
