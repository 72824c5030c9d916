// API errors and their Kubernetes `Status` form. Every failure a client can cause maps to one
// reason with a stable HTTP code and a message that names the object, and the field when there is one.

import type { FieldError, Status, StatusCause } from '@kip/shared';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { StoreError } from '../store/store.js';

export type ApiReason =
  | 'BadRequest'
  | 'Invalid'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Unauthorized'
  | 'Forbidden'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'ServiceUnavailable'
  | 'Timeout'
  | 'InternalError';

const CODES: Record<ApiReason, number> = {
  BadRequest: 400,
  Invalid: 422,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  Unauthorized: 401,
  Forbidden: 403,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  UnsupportedMediaType: 415,
  RequestEntityTooLarge: 413,
  TooManyRequests: 429,
  ServiceUnavailable: 503,
  Timeout: 504,
  InternalError: 500,
};

export class ApiError extends Error {
  constructor(
    readonly reason: ApiReason,
    message: string,
    readonly details?: { name?: string; kind?: string; causes?: StatusCause[] },
    /** Overrides the reason's usual code, e.g. 400 for an invalid body as the issue asks. */
    readonly codeOverride?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  get code(): number {
    return this.codeOverride ?? CODES[this.reason];
  }
  /**
   * The Status sent to the client. Details come from the client's own body (an object's name), so
   * only strings are kept: a name that is an object nested thousands of levels deep would make the
   * answer itself fail to serialize, after the request had already failed.
   */
  toStatus(): Status {
    const d = this.details;
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const details = d && {
      ...(text(d.name) !== undefined ? { name: d.name } : {}),
      ...(text(d.kind) !== undefined ? { kind: d.kind } : {}),
      ...(Array.isArray(d.causes)
        ? {
            causes: d.causes.map((c) => ({
              ...(text(c.field) !== undefined ? { field: c.field } : {}),
              message: text(c.message) ?? '',
              ...(text(c.reason) !== undefined ? { reason: c.reason } : {}),
            })),
          }
        : {}),
    };
    return {
      apiVersion: 'v1',
      kind: 'Status',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
      ...(details ? { details } : {}),
    };
  }
}

/** An invalid object: 400, with one cause per field, named as the API server names them. */
export function invalid(kind: string, name: string, errors: FieldError[]): ApiError {
  // The name is the body's, whatever its type: anything but a string is shown as no name.
  if (typeof name !== 'string') name = '';
  const parts = errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));
  return new ApiError(
    'Invalid',
    `${kind} "${name || '<unnamed>'}" is invalid: ${parts.join(', ')}`,
    { name, kind: kind.toLowerCase(), causes: errors.map((e) => ({ field: e.field, message: e.message, reason: 'FieldValueInvalid' })) },
    400,
  );
}

export function notFound(resource: string, name: string): ApiError {
  return new ApiError('NotFound', `${resource} "${name}" not found`, { name, kind: resource });
}

export function fromStoreError(err: StoreError, kindPlural: string, name: string): ApiError {
  switch (err.code) {
    case 'NotFound':
      return notFound(kindPlural, name);
    case 'AlreadyExists':
      return new ApiError('AlreadyExists', `${kindPlural} "${name}" already exists`, { name, kind: kindPlural });
    case 'Conflict':
      return new ApiError('Conflict', err.message, { name, kind: kindPlural });
    case 'Gone':
      // A resourceVersion older than the kept history: Kubernetes' ResourceExpired, which clients
      // (client-go's reflector among them) answer by listing again.
      return new ApiError('Expired', err.message);
    case 'Invalid':
      return new ApiError('BadRequest', err.message);
  }
}

export function toApiError(err: unknown, kindPlural = 'objects', name = ''): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreError) return fromStoreError(err, kindPlural, name);
  return new ApiError('InternalError', `internal error: ${err instanceof Error ? err.message : String(err)}`);
}

/** Answers a request with an error's Status. */
export function sendError(res: ServerResponse, err: ApiError): void {
  const body = JSON.stringify(err.toStatus());
  res.writeHead(err.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Answers a failed upgrade with a Status, as a plain HTTP response on the raw socket. */
export function rejectUpgrade(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify(err.toStatus());
  (socket as Socket).end(
    `HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
