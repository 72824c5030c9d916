// The manifests shipped in examples/ are what a newcomer applies first: each must validate as it
// is, and still validate once the API server has filled in its defaults.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applyDefaults, parseManifests, resourceByKind, validateObject, type KObject } from '@kip/shared';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const files = [
  ...readdirSync(`${ROOT}examples`)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `examples/${f}`),
  // The experiments' workload is a manifest too; the other files there are experiment specs.
  'examples/experiments/web.yaml',
];

describe('examples/*.yaml', () => {
  it('has examples to check', () => {
    assert.ok(files.length >= 8, `found ${files.join(', ')}`);
  });

  for (const file of files) {
    it(`${file} validates, before and after defaulting`, () => {
      const docs = parseManifests(readFileSync(`${ROOT}${file}`, 'utf8'), file);
      assert.ok(docs.length > 0, 'at least one object');
      for (const d of docs) {
        assert.deepEqual(validateObject(d.object), [], d.source);
        const obj = structuredClone(d.object) as unknown as KObject;
        const r = resourceByKind(obj.kind);
        assert.ok(r, `${d.source}: kind ${obj.kind} is served`);
        applyDefaults(obj, r.namespaced);
        assert.deepEqual(validateObject(obj), [], `${d.source} after defaulting`);
      }
    });
  }
});
