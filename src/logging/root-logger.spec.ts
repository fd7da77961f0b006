import { PassThrough } from 'node:stream';
import { createRootLogger, pinoLevelOf } from './root-logger';

function capture(format: 'json' | 'pretty', level: 'info' | 'warn' = 'info') {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { logger: createRootLogger(level, format, stream), output: () => text };
}

describe('the root logger', () => {
  it('writes one JSON object per line with a readable level', () => {
    const { logger, output } = capture('json');
    logger.info({ uploadId: 'u1' }, 'stored');
    const line = JSON.parse(output().trim());
    expect(line).toMatchObject({ level: 'info', msg: 'stored', uploadId: 'u1' });
    expect(typeof line.time).toBe('string');
  });

  it.each(['json', 'pretty'] as const)('never writes credentials (%s)', (format) => {
    const { logger, output } = capture(format);
    logger.info({ req: { headers: { authorization: 'Bearer s3cret-token', cookie: 'session=s3cret-cookie' } } }, 'request');
    logger.info({ body: { password: 's3cret-password', token: 's3cret-upload-token' } }, 'body');
    logger.info({ accessToken: 's3cret-access' }, 'login');
    expect(output()).not.toMatch(/s3cret/);
    expect(output()).toContain('[redacted]');
  });

  it('shows the Nest context before the message in pretty mode', () => {
    const { logger, output } = capture('pretty');
    logger.info({ context: 'Worker' }, 'worker 1 ready');
    expect(output()).toMatch(/INFO.*\[Worker\] worker 1 ready/);
  });

  it('maps Nest and Celery level names to pino levels', () => {
    expect(['log', 'info', 'INFO', 'verbose', 'debug', undefined].map(pinoLevelOf)).toEqual(['info', 'info', 'info', 'trace', 'debug', 'info']);
    const { logger, output } = capture('json', 'warn');
    logger.info('hidden');
    logger.warn('shown');
    expect(output()).not.toContain('hidden');
    expect(output()).toContain('shown');
  });
});
