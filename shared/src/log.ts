// One line per event, naming the node or pod it concerns. Quiet by default (info and above);
// --verbose adds debug lines.

import { isoTimeMillis } from './clock.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
  readonly level: Level;
}

function formatFields(fields?: Record<string, unknown>): string {
  if (!fields) return '';
  let s = '';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const text = typeof v === 'string' ? v : v instanceof Error ? v.message : JSON.stringify(v);
    s += ` ${k}=${/[\s"]/.test(text) ? JSON.stringify(text) : text}`;
  }
  return s;
}

export function createLogger(component: string, level: Level = 'info', write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const emit = (lvl: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const ts = isoTimeMillis(Date.now());
    write(`${ts} ${lvl.toUpperCase().padEnd(5)} ${component}: ${msg}${formatFields(fields)}`);
  };
  return {
    level,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (c) => createLogger(`${component}/${c}`, level, write),
  };
}

/** A logger that drops everything, for unit tests and benchmarks. */
export const silentLogger: Logger = createLogger('silent', 'error', () => {});
