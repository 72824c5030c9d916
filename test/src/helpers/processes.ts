// Finding processes that belong to a test: anything whose command line mentions the test's data
// dir (the control plane and agents) or whose working directory lies under it (pods and their
// watchers). Used to prove that teardown leaves nothing behind.

import { listPids, readCmdline, readCwd, readProcStat } from '@kip/shared';

export interface ProcInfo {
  pid: number;
  cmdline: string;
}

export function processesUnder(dir: string): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    const cmdline = (readCmdline(pid) ?? []).join(' ').trim();
    const cwd = readCwd(pid) ?? '';
    // Zombies are dead already; their parent reaps them.
    const st = readProcStat(pid);
    if (!st || st.state === 'Z') continue;
    if (cmdline.includes(dir) || cwd === dir || cwd.startsWith(dir + '/')) out.push({ pid, cmdline });
  }
  return out;
}
