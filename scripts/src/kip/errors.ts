// The CLI's errors and how each is shown. A user mistake or a server refusal prints one line in
// kubectl's words and exits 1; only a bug in kip itself may show a stack, and only with KIP_DEBUG.

import type { Status } from '@kip/shared';
import type { TextSink } from './io.js';

/** A failure to report as `error: <message>`. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** The command line itself is wrong; the command's usage is shown after the message. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
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

/** The text kubectl prints for an API error, without a trailing newline. */
export function formatApiError(err: ApiStatusError, context?: string): string {
  const s = err.status;
  if (err.reason === 'Unauthorized') return 'error: You must be logged in to the server (Unauthorized)';
  const causes = s.details?.causes ?? [];
  if (err.reason === 'Invalid' && (s.details?.kind || s.details?.name) && causes.length > 0) {
    const kind = capitalizeKind(s.details?.kind ?? '');
    const head = `The ${kind} "${s.details?.name ?? ''}" is invalid`;
    const lines = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    const prefix = context ? `${context}: ` : '';
    if (lines.length === 1) return `${prefix}${head}: ${lines[0]}`;
    return `${prefix}${head}: \n${lines.map((l) => `* ${l}`).join('\n')}`;
  }
  const where = context ? `${context}: ` : '';
  return `Error from server (${err.reason}): ${where}${err.message}`;
}

/** The server writes kinds in lower case in details; kubectl's users read them as "Deployment". */
function capitalizeKind(kind: string): string {
  if (!kind) return kind;
  return kind[0]!.toUpperCase() + kind.slice(1);
}

/** Prints any error as the CLI shows it. Returns the exit code. */
export function reportError(err: unknown, stderr: TextSink, env: Record<string, string | undefined> = {}, context?: string): number {
  if (err instanceof ApiStatusError) {
    stderr.write(formatApiError(err, context) + '\n');
  } else if (err instanceof ConnectionError) {
    stderr.write(err.message + '\n');
  } else if (err instanceof CliError) {
    stderr.write(`error: ${context ? `${context}: ` : ''}${err.message}\n`);
  } else if (err instanceof Error) {
    // Anything else is a bug or an environment failure (a file we could not read); the message is
    // usually enough, the stack only helps someone debugging kip.
    stderr.write(`error: ${context ? `${context}: ` : ''}${err.message}\n`);
    if (env.KIP_DEBUG) stderr.write(`${err.stack ?? ''}\n`);
  } else {
    stderr.write(`error: ${String(err)}\n`);
  }
  return 1;
}
