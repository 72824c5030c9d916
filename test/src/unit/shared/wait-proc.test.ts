import assert from 'node:assert/strict';
import { listPids, parseProcStat, readCmdline, readCwd, readProcStat, rssBytes, waitFor } from '@kip/shared';

describe('shared waitFor', () => {
  it('returns the first value that is not undefined or false, trying again after a throw', async () => {
    let n = 0;
    const v = await waitFor(
      'the third try',
      () => {
        n++;
        if (n === 1) throw new Error('not yet');
        return n === 3 ? 'done' : false;
      },
      { intervalMs: 1 },
    );
    assert.equal(v, 'done');
    assert.equal(n, 3);
  });

  it('says what it waited for, and the last thing it saw, when the time is up', async () => {
    await assert.rejects(
      waitFor(
        'a miracle',
        () => {
          throw new Error('still nothing');
        },
        { timeoutMs: 20, intervalMs: 5 },
      ),
      /^Error: timed out after 20 ms waiting for a miracle \(last: still nothing\)$/,
    );
  });
});

describe('shared /proc reader', () => {
  it('reads this process: its stat, argv, directory and memory', () => {
    const st = readProcStat(process.pid)!;
    assert.equal(st.pid, process.pid);
    assert.equal(st.ppid, process.ppid);
    assert.ok(st.cpuTicks !== undefined && st.rssPages !== undefined);
    assert.ok(readCmdline(process.pid)!.length >= 2, 'node and the script it runs');
    assert.equal(readCwd(process.pid), process.cwd());
    assert.ok(rssBytes(process.pid)! > 0);
    assert.ok(listPids().includes(process.pid));
  });

  it('answers undefined for a process that is not there', () => {
    assert.equal(readProcStat(2 ** 22 + 1), undefined);
    assert.equal(readCmdline(2 ** 22 + 1), undefined);
    assert.equal(readCwd(2 ** 22 + 1), undefined);
    assert.equal(rssBytes(2 ** 22 + 1), undefined);
  });

  it('parses a stat line whose command holds spaces and parentheses', () => {
    assert.deepEqual(parseProcStat(7, '7 (a (b) c) S 1 7 7 0 -1 0 0 0 0 0 12 3 4 5 20 0 1 0 100 1000 42'), {
      pid: 7,
      state: 'S',
      ppid: 1,
      pgid: 7,
      cpuTicks: 15,
      childCpuTicks: 9,
      rssPages: 42,
    });
  });
});
