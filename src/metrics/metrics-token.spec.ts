import { metricsAccessAllowed } from './metrics-token';

describe('metrics access', () => {
  it('is open when no METRICS_TOKEN is configured', () => {
    expect(metricsAccessAllowed(undefined, undefined)).toBe(true);
  });

  it('needs the configured token as a bearer token', () => {
    const token = 'a-long-metrics-token-0123456789';
    expect(metricsAccessAllowed(undefined, token)).toBe(false);
    expect(metricsAccessAllowed('Bearer wrong', token)).toBe(false);
    expect(metricsAccessAllowed(token, token)).toBe(false);
    expect(metricsAccessAllowed(`Bearer ${token}`, token)).toBe(true);
  });
});
