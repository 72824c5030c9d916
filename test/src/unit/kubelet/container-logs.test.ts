import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContainerLog, readLogFile } from '@kip/agent';
import { lastLines, selectLogBytes, streamLog } from '@kip/agent';

describe('kubelet log files', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kip-logs-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('selects the last lines, then a byte limit', () => {
    const b = Buffer.from('one\ntwo\nthree\n');
    assert.equal(lastLines(b, 2).toString(), 'two\nthree\n');
    assert.equal(lastLines(b, 5).toString(), 'one\ntwo\nthree\n');
    assert.equal(lastLines(b, 0).toString(), '');
    assert.equal(lastLines(Buffer.from('one\ntwo'), 1).toString(), 'two');
    assert.equal(selectLogBytes(b, { tailLines: 2, limitBytes: 5 }).toString(), 'two\nt');
    assert.equal(selectLogBytes(b, {}).toString(), 'one\ntwo\nthree\n');
  });

  it('rotates past the size cap, keeping one older part', () => {
    const file = path.join(dir, 'c', '0.log');
    const log = new ContainerLog(file, 10);
    log.write(Buffer.from('aaaaaaaa\n'));
    log.write(Buffer.from('bbbbbbbb\n'));
    log.write(Buffer.from('cccccccc\n'));
    log.close();
    assert.equal(fs.readFileSync(`${file}.1`, 'utf8'), 'bbbbbbbb\n');
    assert.equal(fs.readFileSync(file, 'utf8'), 'cccccccc\n');
    assert.equal(readLogFile(file).toString(), 'bbbbbbbb\ncccccccc\n');
  });

  it('streams what is there, then what comes, without loss or repeats, up to limitBytes', () => {
    const file = path.join(dir, 'c', '1.log');
    const log = new ContainerLog(file);
    log.write(Buffer.from('old\n'));
    let got = '';
    let ended: string | boolean = false;
    const sink = { data: (d: Uint8Array) => (got += Buffer.from(d).toString()), end: (e?: string) => (ended = e ?? true) };
    streamLog(file, log, true, {}, sink);
    log.write(Buffer.from('new\n'));
    assert.equal(got, 'old\nnew\n');
    assert.equal(ended, false);
    log.close();
    assert.equal(ended, true);

    const file2 = path.join(dir, 'c', '2.log');
    const log2 = new ContainerLog(file2);
    log2.write(Buffer.from('12345'));
    let got2 = '';
    let ended2 = false;
    streamLog(file2, log2, true, { limitBytes: 8 }, { data: (d) => (got2 += Buffer.from(d).toString()), end: () => (ended2 = true) });
    log2.write(Buffer.from('67890'));
    assert.equal(got2, '12345678');
    assert.equal(ended2, true);
    log2.close();
  });
});
