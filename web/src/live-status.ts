import { Api } from './api';

/** One Server-Sent Event of `GET /users/me/avatar/uploads/:id/events`. */
export interface UploadEvent {
  uploadId: string;
  status: 'queued' | 'processing' | 'done' | 'failed';
  progress: number;
  error?: string;
}

/**
 * Follows an upload's live status until the server ends the stream (after `done` or `failed`). A fetch stream
 * reader rather than EventSource, so the bearer token travels in the Authorization header, not in the URL.
 */
async function followUpload(api: Api, uploadId: string, onEvent: (event: UploadEvent) => void): Promise<UploadEvent> {
  const reader = (await api.stream(`users/me/avatar/uploads/${uploadId}/events`)).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let last: UploadEvent | undefined;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const data = dataOf(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (data === undefined) continue;
      last = JSON.parse(data) as UploadEvent;
      onEvent(last);
    }
  }
  if (!last || (last.status !== 'done' && last.status !== 'failed')) throw new StreamEnded();
  return last;
}

/** The server ended the stream before the upload finished (say, the API replica shut down). */
class StreamEnded extends Error {
  constructor() {
    super('The live status was interrupted. Reload the page to see the result.');
  }
}

/** Follows the upload to its end, opening a new stream (any replica answers with the current state) when one ends early. */
export async function followUploadToTheEnd(api: Api, uploadId: string, onEvent: (event: UploadEvent) => void): Promise<UploadEvent> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await followUpload(api, uploadId, onEvent);
    } catch (error) {
      const interrupted = error instanceof StreamEnded || error instanceof TypeError;
      if (!interrupted || attempt === 5) throw error;
      await new Promise((resume) => setTimeout(resume, 1000 * attempt));
    }
  }
}

/** The data of one event block; comment lines (heartbeats) carry none. */
function dataOf(block: string): string | undefined {
  const lines = block.split('\n').filter((line) => line.startsWith('data:'));
  return lines.length > 0 ? lines.map((line) => line.slice(5).trimStart()).join('\n') : undefined;
}
