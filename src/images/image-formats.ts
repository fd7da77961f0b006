/**
 * The image formats we accept, the one table every check and message reads: the sniffer, both drivers'
 * direct-upload policies, the API's refusals and the worker's. Everything else is refused before any decoder sees it.
 */
export const IMAGE_FORMATS = {
  jpeg: { name: 'JPEG', contentType: 'image/jpeg', extension: 'jpg' },
  png: { name: 'PNG', contentType: 'image/png', extension: 'png' },
  webp: { name: 'WebP', contentType: 'image/webp', extension: 'webp' },
  gif: { name: 'GIF', contentType: 'image/gif', extension: 'gif' },
  avif: { name: 'AVIF', contentType: 'image/avif', extension: 'avif' },
} as const satisfies Record<string, { name: string; contentType: string; extension: string }>;

export type ImageType = keyof typeof IMAGE_FORMATS;

const TYPES = Object.keys(IMAGE_FORMATS) as ImageType[];

export const IMAGE_CONTENT_TYPES: Readonly<Record<ImageType, string>> = Object.fromEntries(
  TYPES.map((type) => [type, IMAGE_FORMATS[type].contentType]),
) as Record<ImageType, string>;

/** The content type of a file extension we write (`webp` → `image/webp`); undefined for any other extension. */
export function contentTypeOfExtension(extension: string): string | undefined {
  return TYPES.map((type) => IMAGE_FORMATS[type]).find((format) => format.extension === extension.toLowerCase())?.contentType;
}

/** The accepted content types, e.g. for a direct-upload policy's allowed types. */
export const ACCEPTED_CONTENT_TYPES: readonly string[] = TYPES.map((type) => IMAGE_FORMATS[type].contentType);

/** The accepted formats for people: "JPEG, PNG, WebP or GIF". */
export const ACCEPTED_FORMATS = (() => {
  const names = TYPES.map((type) => IMAGE_FORMATS[type].name);
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
})();

/** The API's 415 message for a file the sniffer did not accept; `refusedFormat` names a known format we refuse. */
export function describeRefusal(refusedFormat: string | null): string {
  return refusedFormat
    ? `unsupported format: ${refusedFormat}; upload a ${ACCEPTED_FORMATS} image`
    : `the file is not a ${ACCEPTED_FORMATS} image (judged by its content, not its name or declared type)`;
}

/** The worker's rejection of a known format we refuse, e.g. "unsupported format: HEIC (upload a JPEG, PNG, WebP or GIF)". */
export function unsupportedFormatMessage(refusedFormat: string): string {
  return `unsupported format: ${refusedFormat} (upload a ${ACCEPTED_FORMATS})`;
}
