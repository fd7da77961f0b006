import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';

/**
 * The bench's client side, as cheap as an HTTP client gets: the multipart body of each photo is built once, and
 * requests go over kept-alive connections. The load driver shares the cores with what it measures, so every
 * millisecond it spends per upload is one the API and the worker do not get.
 */
export class LoadDriver {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly bodies = new Map<Buffer, { body: Buffer; contentType: string }>();

  /** `uploadUrl`: where the multipart form goes (field `avatar`). */
  constructor(private readonly uploadUrl: string) {}

  /** POSTs the photo, with the caller's bearer token if any; resolves with the status and the body. */
  upload(token: string | null, photo: Buffer): Promise<{ status: number; body: string }> {
    const { body, contentType } = this.multipartOf(photo);
    return new Promise((resolve, reject) => {
      const sent = request(this.uploadUrl, {
        method: 'POST',
        agent: this.agent,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': contentType, 'content-length': body.length },
      });
      sent.once('error', reject);
      sent.once('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        response.once('error', reject);
      });
      sent.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private multipartOf(photo: Buffer): { body: Buffer; contentType: string } {
    let built = this.bodies.get(photo);
    if (!built) {
      const boundary = `bench-${randomBytes(12).toString('hex')}`;
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="avatar.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
      built = { body: Buffer.concat([Buffer.from(head), photo, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
      this.bodies.set(photo, built);
    }
    return built;
  }
}
