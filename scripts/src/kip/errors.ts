// The CLI's errors and how each is shown. A user mistake or a server refusal prints one line in
// kubectl's words and exits 1; only a bug in kip itself may show a stack, and only with KIP_DEBUG.

import { ApiStatusError, ClientError, ConnectionError } from '@kip/shared';
import type { TextSink } from './io.js';

/**
 * A failure to report as `error: <message>`. The API client's own refusals (a bad --server) are
 * failures of the same kind, so code that tells the user's failures from bugs checks for ClientError.
 */
export class CliError extends ClientError {
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
  } else if (err instanceof ClientError) {
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
