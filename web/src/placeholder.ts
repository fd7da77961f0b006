import { thumbHashToDataURL } from 'thumbhash';

/** The avatar's ThumbHash (base64, from the API) as an image URL to paint while the real image loads. */
export function placeholderUrl(base64: string): string {
  return thumbHashToDataURL(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
}
