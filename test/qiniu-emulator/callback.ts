import { request } from 'node:http';
import { request as requestTls } from 'node:https';
import { qboxSignature } from './auth';
import type { PutPolicy } from './put-policy';
import type { EmulatorState } from './state';
import { renderTemplate, TemplateVars } from './template';

const CALLBACK_TIMEOUT_MS = 5000;

export type CallbackOutcome = { ok: true; body: Buffer; contentType: string } | { ok: false; reason: string };

function post(url: URL, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: Buffer; contentType: string }> {
  const send = url.protocol === 'https:' ? requestTls : request;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) }, timeout: CALLBACK_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), contentType: res.headers['content-type'] ?? 'application/json' }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('callback timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** POSTs the rendered callbackBody to each `;`-separated callbackUrl in turn, signed with `QBox`. */
export async function deliverCallback(state: EmulatorState, policy: PutPolicy, vars: TemplateVars): Promise<CallbackOutcome> {
  const bodyType = policy.callbackBodyType || 'application/x-www-form-urlencoded';
  const isForm = bodyType.startsWith('application/x-www-form-urlencoded');
  const body = Buffer.from(renderTemplate(policy.callbackBody ?? '', vars, isForm ? 'form' : 'json'));
  let reason = 'no callbackUrl';
  for (const target of (policy.callbackUrl ?? '').split(';').filter(Boolean)) {
    try {
      const url = new URL(target);
      const sign = qboxSignature(state.secretKey, url.pathname + url.search, isForm ? body : undefined);
      const headers: Record<string, string> = { 'Content-Type': bodyType, Authorization: `QBox ${state.accessKey}:${sign}` };
      if (policy.callbackHost) headers.Host = policy.callbackHost;
      const reply = await post(url, body, headers);
      if (reply.status === 200) return { ok: true, body: reply.body, contentType: reply.contentType };
      reason = `callback server answered ${reply.status}`;
    } catch (err) {
      reason = `callback failed: ${(err as Error).message}`;
    }
  }
  return { ok: false, reason };
}
