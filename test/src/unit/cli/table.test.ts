import assert from 'node:assert/strict';
import { formatLabels, renderTable, StreamingTable, type TableOptions } from '@kip/scripts';
import { deployment, NOW, pod } from './fixtures.js';

const base: TableOptions = { wide: false, withNamespace: false, showLabels: false, labelColumns: [], noHeaders: false, now: NOW };

describe('cli table printer', () => {
  it('prints the kubectl pod table', () => {
    const out = renderTable('Pod', [pod('web-7d4b9-x2x9z', { age: 5_000 }), pod('db-0', { age: 182_000, phase: 'Pending', statuses: [] })], base);
    assert.equal(
      out,
      [
        'NAME              READY   STATUS    RESTARTS   AGE',
        'web-7d4b9-x2x9z   1/1     Running   0          5s',
        'db-0              0/1     Pending   0          3m2s',
        '',
      ].join('\n'),
    );
  });

  it('adds NAMESPACE first with -A, kind-prefixed names for several kinds, and LABELS last', () => {
    const out = renderTable('Deployment', [deployment('web')], { ...base, withNamespace: true, kindPrefix: 'deployment.apps', showLabels: true });
    const [header, row] = out.split('\n');
    assert.match(header!, /^NAMESPACE +NAME +READY +UP-TO-DATE +AVAILABLE +AGE +LABELS$/);
    assert.match(row!, /^default +deployment\.apps\/web +2\/3 +3 +2 +60s +app=web$/);
  });

  it('adds a column per -L label key, named by the key', () => {
    const out = renderTable('Pod', [pod('a', { labels: { 'example.com/tier': 'front' } }), pod('b')], { ...base, labelColumns: ['example.com/tier'] });
    const lines = out.split('\n');
    assert.match(lines[0]!, /AGE +TIER$/);
    assert.match(lines[1]!, /front$/);
  });

  it('omits the header with --no-headers', () => {
    const out = renderTable('Pod', [pod('a')], { ...base, noHeaders: true });
    assert.equal(out.split('\n').length, 2);
    assert.match(out, /^a /);
  });

  it('formats labels sorted by key, or <none>', () => {
    assert.equal(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
    assert.equal(formatLabels({}), '<none>');
  });

  it('prints a header once when streaming rows, with an EVENT column for watch events', () => {
    const t = new StreamingTable('Pod', { ...base, watchEvents: true });
    const first = t.print([{ obj: pod('a'), eventType: 'ADDED' }]);
    const second = t.print([{ obj: pod('a', { deleting: true }), eventType: 'MODIFIED' }]);
    assert.match(first, /^EVENT +NAME +READY/);
    assert.match(first.split('\n')[1]!, /^ADDED +a +1\/1 +Running/);
    assert.match(second, /^MODIFIED +a +1\/1 +Terminating/);
    assert.equal(t.print([]), '');
  });
});
