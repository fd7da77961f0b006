import { IMAGE_CONTENT_TYPES } from './image-formats';
import { sniffImageType, sniffRefusedFormat } from './image-sniffer';

const bytes = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));

describe(sniffImageType.name, () => {
  it.each([
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF')],
    ['png', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0, 0, 0, 13], 'IHDR')],
    ['gif', bytes('GIF87a', [1, 0, 1, 0])],
    ['gif', bytes('GIF89a', [1, 0, 1, 0])],
    ['webp', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 ')],
    ['avif', bytes([0, 0, 0, 0x1c], 'ftypavif', [0, 0, 0, 0], 'mif1miaf')],
    ['avif', bytes([0, 0, 0, 0x18], 'ftypavis', [0, 0, 0, 0], 'avif')],
    ['avif', bytes([0, 0, 0, 0x1c], 'ftypmif1', [0, 0, 0, 0], 'avifmiaf')],
  ])('recognises %s by its magic bytes', (type, header) => {
    expect(sniffImageType(header)).toBe(type);
  });

  it.each([
    ['empty input', Buffer.alloc(0)],
    ['a JPEG cut after two bytes', bytes([0xff, 0xd8])],
    ['a PNG signature with a wrong byte', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x00])],
    ['GIF with an unknown version', bytes('GIF90a')],
    ['a RIFF WAVE file', bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt ')],
    ['text', bytes('hello, world')],
    ['HTML', bytes('<!doctype html><html>')],
    ['SVG', bytes('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['PDF', bytes('%PDF-1.4')],
    ['HEIC', bytes([0, 0, 0, 0x18], 'ftypheic')],
    ['HEIC that also claims AVIF compatibility', bytes([0, 0, 0, 0x1c], 'ftypheic', [0, 0, 0, 0], 'mif1avif')],
    ['an MP4 video', bytes([0, 0, 0, 0x18], 'ftypisom', [0, 0, 0, 0], 'mp41')],
  ])('returns null for %s', (_name, header) => {
    expect(sniffImageType(header)).toBeNull();
  });

  it('has a content type for every accepted type', () => {
    expect(IMAGE_CONTENT_TYPES).toEqual({ jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', avif: 'image/avif' });
  });
});

describe(sniffRefusedFormat.name, () => {
  it.each([
    ['HEIC', bytes([0, 0, 0, 0x18], 'ftypheic', [0, 0, 0, 0], 'mif1heic')],
    ['HEIF', bytes([0, 0, 0, 0x18], 'ftypmif1')],
    ['TIFF', bytes('II*', [0])],
    ['TIFF', bytes('MM', [0], '*')],
    ['PDF', bytes('%PDF-1.7\n')],
    ['SVG', bytes('<?xml version="1.0"?>\n<!-- drawn by hand -->\n<svg width="10">')],
    ['BMP', bytes('BM', [0x46, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 40, 0, 0, 0])],
    ['PSD', bytes('8BPS', [0, 1])],
    ['JPEG XL', bytes([0xff, 0x0a, 0xfa])],
  ])('names %s', (format, header) => {
    expect(sniffRefusedFormat(header)).toBe(format);
  });

  it.each([
    ['text', bytes('BMW owners club meeting notes, page one')],
    ['an MP4 video', bytes([0, 0, 0, 0x18], 'ftypisom')],
    ['empty input', Buffer.alloc(0)],
  ])('names nothing for %s', (_name, header) => {
    expect(sniffRefusedFormat(header)).toBeNull();
  });
});
