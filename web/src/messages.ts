import { RequestFailed } from './api';

const FORMATS = 'a JPEG, PNG, WebP, GIF or AVIF picture';

/** Turns a refusal into words a person understands, keeping the server's reason where it helps. */
export function explain(error: unknown, maxBytes?: number): string {
  if (!(error instanceof RequestFailed)) {
    return error instanceof TypeError ? 'The service cannot be reached. Check your connection and try again.' : String((error as Error).message ?? error);
  }
  const reason = error.message;
  switch (error.status) {
    case 401:
      return 'Your session has ended. Please log in again.';
    case 409:
      return reason.includes('taken') ? 'That username is already taken. Pick another one.' : reason;
    case 413:
      return `That picture is too large${maxBytes ? `: the limit is ${megabytes(maxBytes)}` : ''}. Please choose a smaller file.`;
    case 415:
      return /HEIC|HEIF/.test(reason)
        ? `This is an HEIC/HEIF photo (the iPhone's format), which we cannot use. Please choose ${FORMATS} (on an iPhone: share it as JPEG, or set Camera › Formats to Most Compatible).`
        : `That file is not an image we can use. Please choose ${FORMATS}.`;
    case 429:
      return `You are going a bit too fast. Please wait ${error.retryAfterSec ? `${error.retryAfterSec} seconds` : 'a minute'} and try again.`;
    case 503:
      return 'The service is busy right now. Please try again in a moment.';
    default:
      if (error.status >= 500) return 'Something went wrong on our side. Please try again in a moment.';
      return reason || `The request failed (${error.status}).`;
  }
}

/** A failed upload's reason, as the worker recorded it, for a person. */
export function explainFailedUpload(reason: string): string {
  if (/corrupt|truncated|not an image/.test(reason)) {
    return 'We could not read that picture: the file seems damaged or incomplete. Please try another one.';
  }
  if (/megapixels/.test(reason)) return `That picture has too many pixels (${reason}). Please choose a smaller one.`;
  if (/unsupported format/.test(reason)) return explain(new RequestFailed(415, reason));
  if (/crop/.test(reason)) return 'The selected area does not fit the picture. Please choose the area again.';
  return `Your picture could not be processed: ${reason}.`;
}

function megabytes(bytes: number): string {
  return `${Number((bytes / 1024 / 1024).toFixed(1))} MB`;
}
