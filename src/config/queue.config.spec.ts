import { parseRateLimit } from './queue.config';

describe('parseRateLimit', () => {
  it.each([
    ['100/s', { max: 100, duration: 1000 }],
    ['600/m', { max: 600, duration: 60_000 }],
    ['3600/h', { max: 3600, duration: 3_600_000 }],
    ['0.5/s', { max: 1, duration: 2000 }],
  ])('reads Celery syntax %s', (value, expected) => {
    expect(parseRateLimit(value)).toEqual(expected);
  });

  it('means no limit when empty', () => {
    expect(parseRateLimit('')).toBeUndefined();
    expect(parseRateLimit(undefined)).toBeUndefined();
  });
});
