import { PassThrough, Readable } from 'node:stream';

/**
 * The bytes of a multer file as a stream a pipeline may destroy. Multer counts a file as finished the moment its own
 * stream errors, and answers the request then; a failing pipeline destroys its source with the error, so multer would
 * answer (413, 415, …) while the storage engine is still cleaning up: a partial file still on disk, a single-use token
 * not yet handed back. Read through this, a failed pipeline leaves multer's stream alone (the rest of it is drained),
 * and multer answers once the engine calls back.
 */
export function detachedFileStream(file: Express.Multer.File): Readable {
  const bytes = new PassThrough();
  file.stream.once('error', (error) => bytes.destroy(error));
  bytes.once('close', () => {
    if (file.stream.readableEnded) return;
    file.stream.unpipe(bytes);
    file.stream.resume();
  });
  return file.stream.pipe(bytes);
}
