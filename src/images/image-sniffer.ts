import { ImageType } from './image-formats';

/** How many leading bytes the sniffers need; reading more is harmless. */
export const SNIFF_BYTES = 512;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Identifies an accepted image (see image-formats.ts) by its magic bytes; `null` for anything else, including empty input. */
export function sniffImageType(header: Buffer): ImageType | null {
  if (header.length >= 3 && header[0] === 0xff && header[1] === 0xd8 && header[2] === 0xff) return 'jpeg';
  if (header.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  const start = header.toString('latin1', 0, 6);
  if (start === 'GIF87a' || start === 'GIF89a') return 'gif';
  if (header.toString('latin1', 0, 4) === 'RIFF' && header.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  const brands = isoBrands(header);
  // An HEVC-coded brand anywhere means HEIC, whatever else the file claims to be compatible with.
  if (brands.some((brand) => AVIF_BRANDS.includes(brand)) && !brands.some((brand) => HEIF_BRANDS[brand] === 'HEIC')) return 'avif';
  return null;
}

const AVIF_BRANDS = ['avif', 'avis'];

/** The major and compatible brands of an ISO-BMFF file's leading `ftyp` box (AVIF, HEIC, MP4…); none otherwise. */
function isoBrands(header: Buffer): string[] {
  if (header.length < 16 || header.toString('latin1', 4, 8) !== 'ftyp') return [];
  const end = Math.min(header.readUInt32BE(0), header.length);
  const brands = [header.toString('latin1', 8, 12)];
  for (let offset = 16; offset + 4 <= end; offset += 4) brands.push(header.toString('latin1', offset, offset + 4));
  return brands;
}

// A bare "BM" prefix would also match ordinary text, so require a known DIB header size too.
const BMP_HEADER_SIZES = [12, 40, 52, 56, 64, 108, 124];

// HEVC-coded brands; AVIF (AV1-coded, brands avif/avis) is accepted above.
const HEIF_BRANDS: Record<string, string> = {
  heic: 'HEIC', heix: 'HEIC', heim: 'HEIC', heis: 'HEIC', hevc: 'HEIC', hevx: 'HEIC',
  mif1: 'HEIF', msf1: 'HEIF',
};

/**
 * Names a recognisable format we refuse, so the user learns what to change ("unsupported format: HEIC");
 * `null` means the bytes are not a known image at all.
 */
export function sniffRefusedFormat(header: Buffer): string | null {
  if (header.toString('latin1', 4, 8) === 'ftyp') return HEIF_BRANDS[header.toString('latin1', 8, 12)] ?? null;
  const start = header.toString('latin1', 0, 4);
  if (start === 'II*\0' || start === 'MM\0*') return 'TIFF';
  if (start === '%PDF') return 'PDF';
  if (start === '8BPS') return 'PSD';
  if (start.startsWith('BM') && header.length >= 18 && BMP_HEADER_SIZES.includes(header.readUInt32LE(14))) return 'BMP';
  if (header.subarray(0, 4).equals(Buffer.from([0, 0, 1, 0]))) return 'ICO';
  if (header.subarray(0, 2).equals(Buffer.from([0xff, 0x0a])) || header.toString('latin1', 4, 8) === 'JXL ') return 'JPEG XL';
  if (/<svg[\s>]/i.test(header.toString('latin1'))) return 'SVG';
  return null;
}
