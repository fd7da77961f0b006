import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';

/** Every error answer: Nest's `{statusCode, message, error}`. */
export class ErrorResponseDto {
  /** The HTTP status, repeated. */
  @ApiProperty({ example: 400 })
  statusCode: number;

  /** What went wrong, for a person; validation failures list one message per problem. */
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], example: 'the uploaded file is empty' })
  message: string | string[];

  /** The status's name, e.g. "Bad Request". */
  @ApiProperty({ example: 'Bad Request' })
  error: string;
}

const MEANINGS: Record<number, string> = {
  400: 'Bad Request: the input is invalid (the message says how)',
  401: 'Unauthorized: missing, invalid or expired credentials',
  403: 'Forbidden: not yours, or not allowed',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type: not an accepted image, judged by its content',
  429: 'Too Many Requests: slow down (see Retry-After)',
  503: 'Service Unavailable: a dependency (database, queue) is not answering; try again shortly',
};

/** Documents the error answers a route can give, each with the error schema, so generated clients can use them. */
export function ApiErrors(...statuses: Array<keyof typeof MEANINGS>): MethodDecorator & ClassDecorator {
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, description: MEANINGS[status], type: ErrorResponseDto })));
}
