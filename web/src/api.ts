/** A refusal from the API or from the store, with what the person needs to understand it. */
export class RequestFailed extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterSec?: number,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'avatar-pipeline.token';

/** The API this page was served by, with the bearer token kept for the browser tab's session. */
export class Api {
  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  set token(value: string | null) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(path, { method, headers: this.headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) });
    if (!response.ok) throw await failureOf(response);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  /** Opens a streaming GET (Server-Sent Events) with the bearer header, which EventSource cannot send. */
  async stream(path: string): Promise<ReadableStream<Uint8Array>> {
    const response = await fetch(path, { headers: { ...this.headers(false), accept: 'text/event-stream' } });
    if (!response.ok || !response.body) throw await failureOf(response);
    return response.body;
  }

  private headers(json: boolean): Record<string, string> {
    return {
      ...(json ? { 'content-type': 'application/json' } : {}),
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
    };
  }
}

/** Nest answers `{statusCode, message, error}`, Qiniu `{error}`; either way keep the status and the reason. */
export async function failureOf(response: Response): Promise<RequestFailed> {
  return failureFrom(response.status, await response.text(), response.headers.get('retry-after'));
}

export function failureFrom(status: number, text: string, retryAfter: string | null): RequestFailed {
  let message = text;
  try {
    const body = JSON.parse(text) as { message?: string | string[]; error?: string };
    message = [body.message ?? body.error ?? ''].flat().join('; ');
  } catch {
    // not JSON: keep the text
  }
  const retryAfterSec = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  return new RequestFailed(status, message, retryAfterSec);
}
