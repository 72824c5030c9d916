// How a call to the API fails, in one place for every caller (the CLI, chaos, experiments, bench,
// soak, tests): a Status from the server becomes ApiStatusError, an unreachable server a
// ConnectionError in kubectl's words, anything else the client refuses a ClientError.

import type { Status } from '../api/types.js';

/** A failure to show as one line, `error: <message>`, without a stack: a bad server URL, an answer that is not JSON. */
export class ClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientError';
  }
}

/** The server answered with a Kubernetes Status. */
export class ApiStatusError extends Error {
  constructor(
    readonly status: Status,
    readonly httpCode: number,
  ) {
    super(status.message || status.reason || `the server answered ${httpCode}`);
    this.name = 'ApiStatusError';
  }
  get reason(): string {
    return this.status.reason || reasonForCode(this.httpCode);
  }
  get isNotFound(): boolean {
    return this.reason === 'NotFound';
  }
  get isConflict(): boolean {
    return this.reason === 'Conflict';
  }
  get isAlreadyExists(): boolean {
    return this.reason === 'AlreadyExists';
  }
}

/** The server could not be reached at all. */
export class ConnectionError extends Error {
  constructor(
    message: string,
    readonly refused: boolean,
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

export function connectionRefused(hostPort: string): ConnectionError {
  return new ConnectionError(
    `The connection to the server ${hostPort} was refused - did you specify the right host or port? (start one with: npm run cluster -- --nodes 3)`,
    true,
  );
}

export function reasonForCode(code: number): string {
  switch (code) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 405:
      return 'MethodNotAllowed';
    case 409:
      return 'Conflict';
    case 410:
      return 'Gone';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 503:
      return 'ServiceUnavailable';
    default:
      return code >= 500 ? 'InternalError' : 'Unknown';
  }
}

/** Builds a Status for an error answer that is not one, so every server error prints the same way. */
export function statusFromBody(code: number, body: string): Status {
  try {
    const parsed = JSON.parse(body) as Partial<Status>;
    if (parsed && parsed.kind === 'Status')
      return { apiVersion: 'v1', metadata: {}, status: 'Failure', reason: reasonForCode(code), code, message: '', ...parsed } as Status;
  } catch {
    // not JSON: fall through
  }
  const message = code === 404 ? 'the server could not find the requested resource' : body.trim() || `the server responded with status ${code}`;
  return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', message, reason: reasonForCode(code), code };
}
