import assert from 'node:assert/strict';
import { parsePortSpec } from '@kip/scripts/kip/commands/port-forward';

describe('kip port-forward port specs', function () {
  const cases: [string, { local: number; remote: string }][] = [
    ['8080:80', { local: 8080, remote: '80' }],
    [':80', { local: 0, remote: '80' }],
    ['80', { local: 80, remote: '80' }],
    ['9000:http', { local: 9000, remote: 'http' }],
    [':http', { local: 0, remote: 'http' }],
  ];
  for (const [spec, want] of cases) it(`reads ${spec}`, () => assert.deepEqual(parsePortSpec(spec), want));

  for (const bad of ['80:', 'a:b:c', '70000:80', '8080:0', 'HTTP']) it(`refuses ${bad} with a usage error`, () => assert.throws(() => parsePortSpec(bad), /invalid/));
});
