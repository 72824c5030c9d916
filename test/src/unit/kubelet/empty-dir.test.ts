import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pod } from '@kip/shared';
import { directoryUsage, emptyDirEvictionMessage, emptyDirLimits, emptyDirOverLimit, memoryVolumeDir, memoryVolumesRoot, tmpfsAvailable } from '@kip/agent';

const Mi = 1024 * 1024;

function pod(volumes: NonNullable<Pod['spec']['volumes']>, limits: (string | undefined)[] = [undefined]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: {
      containers: limits.map((memory, i) => ({ name: `c${i}`, command: ['true'], ...(memory ? { resources: { limits: { memory } } } : {}) })),
      volumes,
    },
  };
}

describe('emptyDir: sizeLimit and medium Memory', () => {
  it('reads sizeLimit in any quantity form, and skips volumes without one (or of zero)', () => {
    const limits = emptyDirLimits(
      pod([
        { name: 'a', emptyDir: { sizeLimit: '1Mi' } },
        { name: 'b', emptyDir: { sizeLimit: '500M' } },
        { name: 'c', emptyDir: { medium: 'Memory', sizeLimit: '1.5Gi' } },
        { name: 'd', emptyDir: {} },
        { name: 'e', emptyDir: { sizeLimit: '0' } },
        { name: 'f', hostPath: { path: '/tmp' } },
      ]),
    );
    assert.deepEqual(limits, [
      { volume: 'a', limitBytes: Mi, limit: '1Mi' },
      { volume: 'b', limitBytes: 500_000_000, limit: '500M' },
      { volume: 'c', limitBytes: 1.5 * 1024 * Mi, limit: '1.5Gi' },
    ]);
  });

  it("says what the kubelet's eviction manager says", () => {
    assert.equal(emptyDirEvictionMessage('cache', '1Mi'), 'Usage of EmptyDir volume "cache" exceeds the limit "1Mi". ');
  });

  it("puts a pod's memory-backed volume under one directory per node, named for the pod", () => {
    const podsDir = '/data/nodes/node-1/pods';
    const dir = memoryVolumeDir(path.join(podsDir, 'default_web_u1'), 'cache', '/dev/shm');
    assert.equal(path.dirname(path.dirname(dir)), memoryVolumesRoot(podsDir, '/dev/shm'));
    assert.match(dir, /^\/dev\/shm\/kip-[0-9a-f]{16}\/default_web_u1\/cache$/);
    assert.notEqual(memoryVolumesRoot('/data/nodes/node-2/pods', '/dev/shm'), memoryVolumesRoot(podsDir, '/dev/shm'));
  });

  it('a directory that is not a tmpfs cannot hold memory-backed volumes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kip-emptydir-'));
    try {
      const onTmpfs = fs.statfsSync(dir).type === 0x01021994;
      assert.equal(tmpfsAvailable(dir), onTmpfs);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('usage, as du counts it', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kip-emptydir-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('counts the blocks of files in nested directories', () => {
      fs.mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'a', 'b', 'big'), Buffer.alloc(2 * Mi, 1));
      fs.writeFileSync(path.join(dir, 'small'), 'x');
      const u = directoryUsage(dir);
      assert.ok(u.complete);
      assert.ok(u.bytes >= 2 * Mi && u.bytes < 2 * Mi + 256 * 1024, `${u.bytes} bytes`);
    });

    it('stops counting once past the limit', () => {
      for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(dir, `f${i}`), Buffer.alloc(64 * 1024, 1));
      const u = directoryUsage(dir, 100 * 1024);
      assert.equal(u.complete, false);
      assert.ok(u.bytes > 100 * 1024 && u.bytes < 50 * 64 * 1024, `${u.bytes} bytes`);
    });

    it('a sparse file counts what it holds, not its length', () => {
      const fd = fs.openSync(path.join(dir, 'sparse'), 'w');
      fs.ftruncateSync(fd, 100 * Mi);
      fs.closeSync(fd);
      assert.ok(directoryUsage(dir).bytes < Mi);
    });

    it('names the first volume over its limit', () => {
      fs.mkdirSync(path.join(dir, 'small'));
      fs.mkdirSync(path.join(dir, 'full'));
      fs.writeFileSync(path.join(dir, 'full', 'data'), Buffer.alloc(2 * Mi, 1));
      const limits = [
        { volume: 'small', limitBytes: Mi, limit: '1Mi' },
        { volume: 'full', limitBytes: Mi, limit: '1Mi' },
      ];
      assert.equal(
        emptyDirOverLimit(limits, (v) => path.join(dir, v)),
        'Usage of EmptyDir volume "full" exceeds the limit "1Mi". ',
      );
      assert.equal(
        emptyDirOverLimit(limits.slice(0, 1), (v) => path.join(dir, v)),
        undefined,
      );
    });
  });
});
