// Bodies that nest deeper than any API object are refused before they are parsed: the parsers and
// everything after them recurse per level, and two YAML bodies of a few thousand nested brackets
// ran the control plane out of memory (found by npm run fuzz).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_BODY_DEPTH, textDepth } from '@kip/controlplane';
import { ROOT } from '../../helpers/cluster.js';
import { isStatus, RestServer } from './rest-harness.js';

const PODS = '/api/v1/namespaces/default/pods';

describe('controlplane: request body depth', () => {
  it('counts brackets outside strings, and YAML block levels', () => {
    assert.equal(textDepth('{"a":[{"b":"[[[["}]}', false), 3);
    const block = textDepth('a:\n  b:\n    - c: 1\n', true);
    assert.ok(block >= 3 && block <= 4, `3 levels, counted as ${block} (an overestimate is allowed)`);
    assert.equal(textDepth('- - - - x\n', true), 4);
    assert.equal(textDepth("a: '[[['  # [[[\n", true), 0);
  });

  it('passes every example manifest with room to spare', () => {
    for (const f of ['deployment.yaml', 'service.yaml', 'probes-pod.yaml', 'client-pod.yaml']) {
      const d = textDepth(readFileSync(path.join(ROOT, 'examples', f), 'utf8'), true);
      assert.ok(d < MAX_BODY_DEPTH / 4, `${f}: depth ${d}`);
    }
  });

  it('answers deeply nested JSON and YAML with 400, and stays up for the next', async () => {
    const api = await new RestServer().start();
    try {
      const deepJson = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":${'['.repeat(5000)}${']'.repeat(5000)}}}`;
      isStatus(await api.call('POST', PODS, deepJson), 400, 'BadRequest', /nests deeper than 100 levels/);
      for (const body of ['['.repeat(5000) + ']'.repeat(5000), '- '.repeat(3000) + 'x']) {
        isStatus(await api.call('POST', PODS, body, { 'Content-Type': 'application/yaml' }), 400, 'BadRequest', /nests deeper than 100 levels/);
        isStatus(await api.call('POST', PODS, body, { 'Content-Type': 'application/yaml' }), 400, 'BadRequest');
      }
      assert.equal((await api.call('GET', PODS)).status, 200);
    } finally {
      await api.stop();
    }
  });
});
