import { ContentNotAcceptedError, decodePayload, encodePayload } from './job-codec';

describe('job payload encoding', () => {
  const payload = { uploadId: '0f1c2d3e-aaaa-bbbb-cccc-1234567890ab', sizes: [512, 64], nested: { ok: true } };

  it.each(['json', 'msgpack'] as const)('round-trips through %s', (serializer) => {
    const encoded = encodePayload(payload, serializer);
    expect(decodePayload(encoded, [serializer])).toEqual(payload);
  });

  it('labels each body with its content type, as Celery does', () => {
    expect(encodePayload(payload, 'json').contentType).toBe('application/json');
    const msgpack = encodePayload(payload, 'msgpack');
    expect(msgpack.contentType).toBe('application/x-msgpack');
    expect(() => JSON.parse(msgpack.body)).toThrow();
  });

  it('refuses content that is not accepted, naming the setting', () => {
    const encoded = encodePayload(payload, 'msgpack');
    expect(() => decodePayload(encoded, ['json'])).toThrow(ContentNotAcceptedError);
    expect(() => decodePayload(encoded, ['json'])).toThrow('content type application/x-msgpack is not accepted (ACCEPT_CONTENT=json)');
  });

  it('refuses unknown content types, such as a pickled body', () => {
    expect(() => decodePayload({ contentType: 'application/x-python-serialize', body: 'gASV' }, ['json', 'msgpack'])).toThrow(
      ContentNotAcceptedError,
    );
  });
});
