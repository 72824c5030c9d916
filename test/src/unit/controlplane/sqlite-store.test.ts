import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { KObject, Pod } from '@kip/shared';
import { openSqliteStore } from '@kip/controlplane';
import { StoreError, type StoreEvent } from '@kip/controlplane';
import { pod } from './fixtures.js';

const withNs = (p: Pod): Pod => ({ ...p, metadata: { ...p.metadata, namespace: 'default' } });

describe('controlplane/store/sqlite', () => {
  let dir: string;
  let file: string;
  /** A writer a test started: killed after the test whatever happened, even on a timeout. */
  let writer: ChildProcess | undefined;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kip-sqlite-'));
    file = path.join(dir, 'state.db');
  });
  afterEach(() => {
    if (writer && writer.exitCode === null && writer.signalCode === null) writer.kill('SIGKILL');
    writer = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings back every object, its uid and the resourceVersion after it is opened again', () => {
    const a = openSqliteStore({ file });
    const web = a.create(withNs(pod('web', { labels: { app: 'web' } })));
    const db = a.create(withNs(pod('db')));
    a.update({ ...web, spec: { ...web.spec, nodeName: 'node-1' } });
    a.delete('Pod', 'default', 'db');
    const rv = a.resourceVersion();
    a.close();

    const b = openSqliteStore({ file });
    assert.equal(b.resourceVersion(), rv);
    const back = b.get<Pod>('Pod', 'default', 'web');
    assert.equal(back?.metadata.uid, web.metadata.uid);
    assert.equal(back?.spec.nodeName, 'node-1');
    assert.equal(back?.metadata.resourceVersion, '3');
    assert.equal(b.get('Pod', 'default', 'db'), undefined, `${db.metadata.name} was deleted`);
    assert.ok(Object.isFrozen(back), 'restored objects are frozen like any stored object');
    // The counter goes on from where it was: versions never repeat.
    assert.equal(b.create(withNs(pod('next'))).metadata.resourceVersion, String(Number(rv) + 1));
    b.close();
  });

  it('lets a watch resume from a version before the restart, and says Gone once it is compacted', () => {
    const a = openSqliteStore({ file, historySize: 5 });
    const first = a.create(withNs(pod('p0')));
    for (let i = 1; i <= 3; i++) a.create(withNs(pod(`p${i}`)));
    a.close();

    const b = openSqliteStore({ file, historySize: 5 });
    const seen: StoreEvent[] = [];
    b.watch({ kind: 'Pod', resourceVersion: first.metadata.resourceVersion }, (ev) => seen.push(ev));
    assert.deepEqual(
      seen.map((e) => `${e.type} ${e.object.metadata.name}`),
      ['ADDED p1', 'ADDED p2', 'ADDED p3'],
    );
    for (let i = 4; i < 12; i++) b.create(withNs(pod(`p${i}`)));
    assert.throws(
      () => b.watch({ resourceVersion: first.metadata.resourceVersion }, () => {}),
      (err: unknown) => err instanceof StoreError && err.code === 'Gone',
    );
    b.close();
  });

  it('after compaction keeps the objects that live on, and resumes no watch across what it dropped', () => {
    const a = openSqliteStore({ file, historySize: 5 });
    const old = a.create(withNs(pod('old')));
    // Enough changes for a compaction pass: old's change must survive it, the others' must not matter.
    for (let i = 0; i < 1100; i++) {
      a.create(withNs(pod(`tmp${i}`)));
      a.delete('Pod', 'default', `tmp${i}`);
    }
    a.close();
    const b = openSqliteStore({ file, historySize: 5 });
    assert.equal(b.get<Pod>('Pod', 'default', 'old')?.metadata.uid, old.metadata.uid);
    assert.equal(b.list('Pod').items.length, 1);
    assert.throws(
      () => b.watch({ resourceVersion: old.metadata.resourceVersion }, () => {}),
      (err: unknown) => err instanceof StoreError && err.code === 'Gone',
    );
    const seen: StoreEvent[] = [];
    b.watch({ resourceVersion: String(Number(b.resourceVersion()) - 2) }, (ev) => seen.push(ev));
    assert.deepEqual(
      seen.map((e) => `${e.type} ${e.object.metadata.name}`),
      ['ADDED tmp1099', 'DELETED tmp1099'],
    );
    b.close();
  });

  it('refuses a second control plane on the same database, and names the file', () => {
    const a = openSqliteStore({ file });
    assert.throws(() => openSqliteStore({ file }), new RegExp(`${file.replace(/[.]/g, '\\.')} is in use by another control plane`));
    a.close();
    openSqliteStore({ file }).close();
  });

  it('keeps every acknowledged write when the process is killed with SIGKILL mid-stream', async function () {
    this.timeout(60_000);
    // A child writes as fast as it can and prints the name of each write once create() returned;
    // it is killed at a moment nobody chose, then the database must hold every printed name.
    const require = createRequire(import.meta.url);
    const storeModule = require.resolve('@kip/controlplane');
    const script = `
      const { openSqliteStore } = await import(${JSON.stringify(storeModule)});
      const s = openSqliteStore({ file: ${JSON.stringify(file)} });
      for (let i = 0; ; i++) {
        const name = 'w' + i;
        s.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { i: String(i) } });
        process.stdout.write(name + '\\n');
      }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    writer = child;
    let out = '';
    child.stdout.setEncoding('utf8');
    const enough = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: string) => {
        out += d;
        if (out.split('\n').length > 2000) resolve();
      }),
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await enough;
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const acknowledged = out.split('\n').slice(0, -1); // the last piece may be a half-written line

    const s = openSqliteStore({ file });
    const names = new Set(s.list<KObject>('ConfigMap').items.map((o) => o.metadata.name));
    const lost = acknowledged.filter((n) => !names.has(n));
    assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged writes lost`);
    // Nothing half there: every stored object is whole and the counter is past all of them.
    for (const o of s.list<KObject & { data: { i: string } }>('ConfigMap').items) assert.equal(o.metadata.name, `w${o.data.i}`);
    assert.equal(Number(s.resourceVersion()), names.size);
    s.close();
  });
});
