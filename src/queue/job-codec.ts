import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Job } from 'bull';
import { pack, unpack } from 'msgpackr';
import { Serializer, queueConfig } from '../config/queue.config';

/** How a payload travels through Redis: Celery-style, the content type rides along with the body. */
export interface EncodedPayload {
  contentType: string;
  body: string;
}

const CONTENT_TYPES: Record<Serializer, string> = {
  json: 'application/json',
  msgpack: 'application/x-msgpack',
};

/** The worker refuses content it was not told to accept; a retry cannot change that. */
export class ContentNotAcceptedError extends Error {
  readonly name = 'ContentNotAcceptedError';
}

export function encodePayload(value: unknown, serializer: Serializer): EncodedPayload {
  return serializer === 'msgpack'
    ? { contentType: CONTENT_TYPES.msgpack, body: pack(value).toString('base64') }
    : { contentType: CONTENT_TYPES.json, body: JSON.stringify(value) };
}

export function decodePayload<T>(payload: EncodedPayload, accepted: Serializer[]): T {
  const serializer = (Object.keys(CONTENT_TYPES) as Serializer[]).find((s) => CONTENT_TYPES[s] === payload?.contentType);
  if (!serializer || !accepted.includes(serializer)) {
    throw new ContentNotAcceptedError(
      `content type ${payload?.contentType ?? 'unknown'} is not accepted (ACCEPT_CONTENT=${accepted.join(',')})`,
    );
  }
  return (serializer === 'msgpack' ? unpack(Buffer.from(payload.body, 'base64')) : JSON.parse(payload.body)) as T;
}

/** TASK_SERIALIZER / RESULT_SERIALIZER / ACCEPT_CONTENT applied to job payloads and results. */
@Injectable()
export class JobCodec {
  constructor(@Inject(queueConfig.KEY) private readonly config: ConfigType<typeof queueConfig>) {}

  encodeTask(value: unknown): EncodedPayload {
    return encodePayload(value, this.config.taskSerializer);
  }

  decodeTask<T>(job: Job<EncodedPayload>): T {
    return decodePayload<T>(job.data, this.config.acceptContent);
  }

  encodeResult(value: unknown): EncodedPayload {
    return encodePayload(value, this.config.resultSerializer);
  }

  /** Results are read by the API, which decodes whatever serializer the worker used. */
  decodeResult<T>(payload: EncodedPayload): T {
    return decodePayload<T>(payload, ['json', 'msgpack']);
  }
}
