const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `6h`, `2d` (decimals allowed) in milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhd])$/.exec(value.trim());
  if (!match) throw new Error(`expected a duration such as 90s, 30m, 6h or 2d, not "${value}"`);
  return Number(match[1]) * UNITS[match[2]];
}

/** `--since`: an ISO date (`2026-01-31`, `2026-01-31T08:00:00Z`) or a duration back from now (`90m`, `6h`, `2d`). */
export function parseSince(value: string, now = new Date()): Date {
  if (/^\d+(?:\.\d+)?[smhd]$/.test(value.trim())) return new Date(now.getTime() - parseDuration(value));
  const date = /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) {
    throw new Error(`--since must be an ISO date (2026-01-31T08:00:00Z) or a duration (90m, 6h, 2d), not "${value}"`);
  }
  return date;
}
