const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `6h`, `2d` (decimals allowed) in milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhd])$/.exec(value.trim());
  if (!match) throw new Error(`expected a duration such as 90s, 30m, 6h or 2d, not "${value}"`);
  return Number(match[1]) * UNITS[match[2]];
}
