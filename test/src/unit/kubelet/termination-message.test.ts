// The termination message: the file the container wrote (found on the host through its sandbox),
// else, with FallbackToLogsOnError and a failed exit, the last 80 lines of at most 2048 bytes of its log.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { readTerminationMessage, terminationMessageFile, type HostLayout } from '@kip/agent';

const LAYOUT: HostLayout = { overlay: ['usr'], bind: ['proc'], links: {}, devNodes: [], devDirs: [], unshare: 'unshare', mount: 'mount', nsenter: 'nsenter' };

describe('kubelet termination message', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kip-termination-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ended = () => {
    const s = new PassThrough();
    s.end();
    s.resume();
    return s;
  };

  it('finds the file through the sandbox, and on the bare host only in the pod directory', () => {
    const sandbox = { podDir: '/p', container: 'c', hostname: 'h', cwd: '/p', mounts: [], layout: LAYOUT };
    assert.equal(terminationMessageFile({ container: { name: 'c' }, podDir: '/p', sandbox }), '/p/sandbox/dev/c/termination-log');
    assert.equal(terminationMessageFile({ container: { name: 'c', terminationMessagePath: '/usr/why' }, podDir: '/p', sandbox }), '/p/sandbox/upper/usr/why');
    assert.equal(terminationMessageFile({ container: { name: 'c' }, podDir: '/p' }), undefined);
    assert.equal(terminationMessageFile({ container: { name: 'c', terminationMessagePath: '/p/why' }, podDir: '/p' }), '/p/why');
  });

  it('reads the file, else falls back to the log tail on a failed exit when asked to', async () => {
    const log = path.join(dir, 'log');
    fs.writeFileSync(log, `${Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n')}\n`);
    const why = path.join(dir, 'why');
    const base = { podDir: dir, logFile: log, output: [ended(), ended()] };
    fs.writeFileSync(why, 'disk full\n');
    assert.equal(await readTerminationMessage({ ...base, exitCode: 1, container: { name: 'c', terminationMessagePath: why } }), 'disk full\n');
    fs.writeFileSync(why, '');
    assert.equal(await readTerminationMessage({ ...base, exitCode: 1, container: { name: 'c', terminationMessagePath: why } }), '', 'File: no fallback');
    const fallback = { name: 'c', terminationMessagePath: why, terminationMessagePolicy: 'FallbackToLogsOnError' as const };
    assert.equal(await readTerminationMessage({ ...base, exitCode: 0, container: fallback }), '', 'no fallback on success');
    const tail = await readTerminationMessage({ ...base, exitCode: 2, container: fallback });
    assert.equal(tail.split('\n').length - 1, 80);
    assert.match(tail, /^line 20\n[\s\S]*line 99\n$/);
  });
});
