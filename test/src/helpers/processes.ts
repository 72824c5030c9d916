// Finding processes that belong to a test: anything whose command line mentions the test's data
// dir (the control plane and agents) or whose working directory lies under it (pods and their
// watchers). Used to prove that teardown leaves nothing behind.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  cmdline: string;
}

export function processesUnder(dir: string): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let cmdline = '';
    let cwd = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // gone already, or not ours to read
    }
    try {
      // Zombies are dead already; their parent reaps them.
      if (/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) continue;
    } catch {
      continue;
    }
    if (cmdline.includes(dir) || cwd === dir || cwd.startsWith(dir + '/')) out.push({ pid, cmdline });
  }
  return out;
}
