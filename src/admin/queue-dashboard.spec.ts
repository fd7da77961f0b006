import { encodePayload } from '../queue/job-codec';
import { readablePayload } from './queue-dashboard';

describe('the queue dashboard shows job payloads decoded', () => {
  it('decodes JSON and msgpack payloads alike', () => {
    expect(readablePayload(encodePayload({ uploadId: 'abc' }, 'json'))).toEqual({ uploadId: 'abc' });
    expect(readablePayload(encodePayload({ userId: 7, keys: ['a', 'b'] }, 'msgpack'))).toEqual({ userId: 7, keys: ['a', 'b'] });
  });

  it('shows a payload it cannot decode as it is', () => {
    const odd = { contentType: 'application/x-python-serialize', body: 'gASV' };
    expect(readablePayload(odd)).toBe(odd);
    expect(readablePayload(undefined as never)).toBeUndefined();
  });
});
