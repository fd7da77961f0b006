import { QiniuError } from './http';
import { mimeAllowed } from './mime-sniff';
import { renderTemplate, TemplateVars } from './template';

/** The decoded put policy of an upload token (only the fields the emulator acts on). */
export interface PutPolicy {
  scope: string;
  deadline: number;
  isPrefixalScope?: number;
  insertOnly?: number;
  saveKey?: string;
  forceSaveKey?: boolean;
  endUser?: string;
  returnBody?: string;
  callbackUrl?: string;
  callbackHost?: string;
  callbackBody?: string;
  callbackBodyType?: string;
  fsizeLimit?: number;
  fsizeMin?: number;
  mimeLimit?: string;
  detectMime?: number;
}

export function scopeOf(policy: PutPolicy): { bucket: string; key?: string; prefix: boolean } {
  const at = policy.scope.indexOf(':');
  if (at < 0) return { bucket: policy.scope, prefix: false };
  return { bucket: policy.scope.slice(0, at), key: policy.scope.slice(at + 1), prefix: !!policy.isPrefixalScope };
}

/** The key the object is stored under: client key, else saveKey, else the scope's key, else the hash. */
export function resolveKey(policy: PutPolicy, requested: string | undefined, vars: TemplateVars): string {
  const scope = scopeOf(policy);
  if (policy.saveKey && (policy.forceSaveKey || requested === undefined)) return renderTemplate(policy.saveKey, vars, 'none');
  if (requested !== undefined) return requested;
  if (scope.key !== undefined && !scope.prefix) return scope.key;
  return String(vars.hash);
}

export function checkScope(policy: PutPolicy, bucket: string, key: string | undefined): void {
  const scope = scopeOf(policy);
  if (scope.bucket !== bucket) throw new QiniuError(403, 'bucket doesn\'t match with scope');
  if (key === undefined || scope.key === undefined) return;
  const ok = scope.prefix ? key.startsWith(scope.key) : key === scope.key;
  if (!ok) throw new QiniuError(403, 'key doesn\'t match with scope');
}

/** `bucket` and prefix scopes are insert-only by definition; `bucket:key` only with insertOnly. */
export function isInsertOnly(policy: PutPolicy): boolean {
  const scope = scopeOf(policy);
  return !!policy.insertOnly || scope.key === undefined || scope.prefix;
}

export function checkContent(policy: PutPolicy, size: number, detectedMime: string): void {
  if (policy.fsizeLimit !== undefined && policy.fsizeLimit > 0 && size > policy.fsizeLimit) {
    throw new QiniuError(413, 'exceed FsizeLimit');
  }
  if (policy.fsizeMin !== undefined && size < policy.fsizeMin) throw new QiniuError(403, 'fsize too small');
  if (policy.mimeLimit && !mimeAllowed(policy.mimeLimit, detectedMime)) {
    throw new QiniuError(403, 'limited mimeType: this file type is forbidden to upload');
  }
}
