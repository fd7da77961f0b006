import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-unavailable';

const mysqlError = (code: string, fatal: boolean) => Object.assign(new Error(code), { code, fatal });

describe('isDatabaseUnavailable', () => {
  it('recognises a refused or lost MySQL connection, raw or wrapped by TypeORM', () => {
    expect(isDatabaseUnavailable(mysqlError('ECONNREFUSED', true))).toBe(true);
    expect(isDatabaseUnavailable(mysqlError('PROTOCOL_CONNECTION_LOST', true))).toBe(true);
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], mysqlError('ER_SERVER_SHUTDOWN', false)))).toBe(true);
  });

  it('does not take a bad statement or another service refusing a connection for an outage', () => {
    expect(isDatabaseUnavailable(new QueryFailedError('INSERT …', [], mysqlError('ER_DUP_ENTRY', false)))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('anything'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});
