import { parseDuration, parseSince } from './durations';

describe('CLI durations', () => {
  it('reads 90s, 30m, 6h, 1.5d', () => {
    expect([parseDuration('90s'), parseDuration('30m'), parseDuration('6h'), parseDuration('1.5d')]).toEqual([
      90_000, 1_800_000, 21_600_000, 129_600_000,
    ]);
    expect(() => parseDuration('6 hours')).toThrow('expected a duration such as 90s, 30m, 6h or 2d, not "6 hours"');
  });

  it('takes --since as a duration back from now or as an ISO date', () => {
    const now = new Date('2026-11-29T12:00:00Z');
    expect(parseSince('2h', now)).toEqual(new Date('2026-11-29T10:00:00Z'));
    expect(parseSince('2026-11-28', now)).toEqual(new Date('2026-11-28T00:00:00Z'));
    expect(parseSince('2026-11-28T08:30:00+08:00', now)).toEqual(new Date('2026-11-28T00:30:00Z'));
    expect(() => parseSince('yesterday', now)).toThrow('--since must be an ISO date');
    expect(() => parseSince('2026-13-45', now)).toThrow('--since must be an ISO date');
  });
});
