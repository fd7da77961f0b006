/** Deeper JSON than any body of this API needs; deeper bodies are refused before they reach validation. */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether raw JSON text opens more than `max` arrays or objects inside one another. It scans the bytes once
 * (brackets inside strings do not count), so a 100 KB body of nested brackets costs microseconds, not a stack.
 */
export function jsonNestedDeeperThan(body: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (const byte of body) {
    if (inString) {
      if (escaped) escaped = false;
      else if (byte === BACKSLASH) escaped = true;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) depth -= 1;
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
