import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { eventually } from './stack';

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A REST client as an app would write one: register, log in, upload, poll. */
export class ApiClient {
  token = '';
  userId = 0;

  constructor(readonly baseUrl: string) {}

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (this.token) (init.headers as Record<string, string>).authorization = `Bearer ${this.token}`;
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const response = await fetch(new URL(path, this.baseUrl), init);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  async signUp(username = `user_${Math.random().toString(36).slice(2, 10)}`, password = 'correct horse battery'): Promise<this> {
    const registered = await this.request('POST', '/auth/register', { username, password });
    if (registered.status !== 201) throw new Error(`register failed: ${JSON.stringify(registered)}`);
    this.userId = registered.body.id;
    const login = await this.request('POST', '/auth/login', { username, password });
    this.token = login.body.accessToken;
    return this;
  }

  async upload(file: string | Buffer, field = 'avatar', filename = 'avatar.jpg', type = 'image/jpeg'): Promise<Reply> {
    const bytes = typeof file === 'string' ? await readFile(file) : file;
    const form = new FormData();
    form.append(field, new Blob([new Uint8Array(bytes)], { type }), typeof file === 'string' ? basename(file) : filename);
    return this.request('POST', '/users/me/avatar', form);
  }

  /** Polls the upload until it is done or failed. */
  async settle(uploadId: string, timeoutMs = 30_000): Promise<any> {
    const reply = await eventually(
      () => this.request('GET', `/users/me/avatar/uploads/${uploadId}`),
      (r) => r.status !== 200 || ['done', 'failed'].includes(r.body.status),
      timeoutMs,
    );
    return reply.body;
  }

  /**
   * Polls the job until the result backend has its final state. The upload's row (MySQL) is the authority and is
   * written first; the job's record follows a moment later, when the worker's completion event has been handled.
   */
  async finishedJob(jobId: string, timeoutMs = 10_000): Promise<any> {
    const reply = await eventually(
      () => this.request('GET', `/jobs/${jobId}`),
      (r) => r.status === 200 && ['completed', 'failed'].includes(r.body.state),
      timeoutMs,
    );
    return reply.body;
  }

  async uploadAndSettle(file: string | Buffer): Promise<any> {
    const accepted = await this.upload(file);
    if (accepted.status !== 202) throw new Error(`upload refused: ${JSON.stringify(accepted)}`);
    return this.settle(accepted.body.uploadId);
  }
}

export async function fetchBytes(url: string): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const response = await fetch(url);
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()), headers: response.headers };
}
