import { readProcStat } from '@kip/shared';

// Waiting on conditions with deadlines, never on fixed sleeps: shared's waitFor, which tests call
// eventually(...), as they read.

export { waitFor as eventually, type WaitOptions } from '@kip/shared';

/**
 * Whether a process is still running. A zombie (dead, not yet reaped by its parent or by PID 1,
 * which may take its time in a container) counts as gone: it runs nothing and holds nothing.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const st = readProcStat(pid);
  return st !== undefined && st.state !== 'Z';
}
