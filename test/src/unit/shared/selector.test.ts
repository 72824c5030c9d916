import assert from 'node:assert/strict';
import {
  fromLabels,
  fromLabelSelector,
  isLabelKey,
  isLabelValue,
  matches,
  nodeSelectorTermMatches,
  parseSelector,
  SelectorError,
  selectorToString,
  type NodeSelectorTerm,
  type Requirement,
} from '@kip/shared';

const req = (key: string, operator: Requirement['operator'], values: string[] = []): Requirement => ({ key, operator, values });

describe('shared/api/selector', () => {
  describe('parseSelector', () => {
    const cases: { name: string; in: string; want: Requirement[] }[] = [
      { name: 'the empty string selects everything', in: '', want: [] },
      { name: 'blanks select everything', in: '   ', want: [] },
      { name: 'equality', in: 'app=web', want: [req('app', 'In', ['web'])] },
      { name: 'double-equals equality', in: 'app==web', want: [req('app', 'In', ['web'])] },
      { name: 'inequality', in: 'app!=web', want: [req('app', 'NotIn', ['web'])] },
      { name: 'an empty value', in: 'app=', want: [req('app', 'In', [''])] },
      { name: 'existence', in: 'canary', want: [req('canary', 'Exists')] },
      { name: 'non-existence', in: '!canary', want: [req('canary', 'DoesNotExist')] },
      { name: 'set membership', in: 'tier in (a,b)', want: [req('tier', 'In', ['a', 'b'])] },
      { name: 'set exclusion', in: 'tier notin (a, b)', want: [req('tier', 'NotIn', ['a', 'b'])] },
      { name: 'a set without a space before the parenthesis', in: 'tier in(a)', want: [req('tier', 'In', ['a'])] },
      { name: 'an empty set is the empty value, as in Kubernetes', in: 'tier in ()', want: [req('tier', 'In', [''])] },
      { name: 'a prefixed key', in: 'kubernetes.io/hostname=node-1', want: [req('kubernetes.io/hostname', 'In', ['node-1'])] },
      {
        name: 'blanks around operators and commas',
        in: ' app = web , !canary ,tier in ( a , b ) ',
        want: [req('app', 'In', ['web']), req('canary', 'DoesNotExist'), req('tier', 'In', ['a', 'b'])],
      },
      {
        name: 'every form together, in order',
        in: 'app=web,env!=prod,tier in (a,b),track notin (x),canary,!legacy',
        want: [
          req('app', 'In', ['web']),
          req('env', 'NotIn', ['prod']),
          req('tier', 'In', ['a', 'b']),
          req('track', 'NotIn', ['x']),
          req('canary', 'Exists'),
          req('legacy', 'DoesNotExist'),
        ],
      },
    ];
    for (const c of cases) it(`${c.name}: ${JSON.stringify(c.in)}`, () => assert.deepEqual(parseSelector(c.in), c.want));

    const errors: { name: string; in: string; message: RegExp }[] = [
      { name: 'a leading comma', in: ',app=web', message: /expected a label key at position 0/ },
      { name: 'a trailing comma', in: 'app=web,', message: /expected a label key after "," at position 8/ },
      { name: 'a trailing comma and blanks', in: 'app=web , ', message: /expected a label key after ","/ },
      { name: 'a lone negation', in: '!', message: /expected a label key/ },
      { name: 'an invalid key', in: '-app=web', message: /"-app" is not a valid label key/ },
      { name: 'an invalid prefix', in: 'Kubernetes.IO/x=1', message: /"Kubernetes.IO\/x" is not a valid label key/ },
      { name: 'an invalid value', in: 'app=-web', message: /"-web" is not a valid label value/ },
      { name: 'a value too long', in: `app=${'a'.repeat(64)}`, message: /is not a valid label value/ },
      { name: 'an invalid value in a set', in: 'tier in (a,-b)', message: /"-b" is not a valid label value/ },
      { name: 'an unclosed set', in: 'tier in (a,b', message: /missing "\)"/ },
      { name: 'two terms without a comma', in: 'app=web tier=db', message: /expected "," at position 8/ },
      { name: 'a negated equality', in: '!app=web', message: /expected ","/ },
      { name: 'an unknown operator', in: 'app>5', message: /"app>5" is not a valid label key/ },
      { name: 'a stray parenthesis', in: 'app (x)', message: /unexpected "\(" at position 4/ },
    ];
    for (const c of errors) {
      it(`refuses ${c.name}: ${JSON.stringify(c.in)}`, () => {
        assert.throws(
          () => parseSelector(c.in),
          (err: unknown) => {
            assert.ok(err instanceof SelectorError, `a SelectorError, got ${String(err)}`);
            assert.equal(err.code, 'InvalidSelector');
            assert.ok(err.message.startsWith(`invalid label selector "${c.in}": `), err.message);
            assert.match(err.message, c.message);
            return true;
          },
        );
      });
    }
  });

  describe('label keys and values', () => {
    const keys: [string, boolean][] = [
      ['app', true],
      ['App_1.x-y', true],
      ['example.com/app', true],
      ['a.b.c/d', true],
      ['', false],
      ['-app', false],
      ['app-', false],
      ['Example.com/app', false],
      ['example.com/', false],
      ['/app', false],
      ['a/b/c', false],
      [`${'a'.repeat(63)}`, true],
      [`${'a'.repeat(64)}`, false],
      [`example.com/${'a'.repeat(64)}`, false],
    ];
    for (const [k, ok] of keys)
      it(`${JSON.stringify(k.length > 20 ? `${k.slice(0, 20)}...(${k.length})` : k)} is ${ok ? '' : 'not '}a label key`, () => assert.equal(isLabelKey(k), ok));

    const values: [string, boolean][] = [
      ['', true],
      ['web', true],
      ['v1.2_3-x', true],
      ['-web', false],
      ['web.', false],
      ['has space', false],
      ['a'.repeat(63), true],
      ['a'.repeat(64), false],
    ];
    for (const [v, ok] of values)
      it(`${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...(${v.length})` : v)} is ${ok ? '' : 'not '}a label value`, () =>
        assert.equal(isLabelValue(v), ok));
  });

  describe('matches', () => {
    const labels = { app: 'web', tier: 'front', version: '3' };
    const cases: { sel: string; want: boolean }[] = [
      { sel: '', want: true },
      { sel: 'app=web', want: true },
      { sel: 'app=db', want: false },
      { sel: 'app!=db', want: true },
      { sel: 'app!=web', want: false },
      { sel: 'missing!=x', want: true },
      { sel: 'tier in (front,back)', want: true },
      { sel: 'tier in (back)', want: false },
      { sel: 'tier notin (back)', want: true },
      { sel: 'tier notin (front)', want: false },
      { sel: 'missing notin (x)', want: true },
      { sel: 'missing in (x)', want: false },
      { sel: 'app', want: true },
      { sel: 'missing', want: false },
      { sel: '!missing', want: true },
      { sel: '!app', want: false },
      { sel: 'app=web,tier=front', want: true },
      { sel: 'app=web,tier=back', want: false },
      { sel: 'missing=', want: false },
    ];
    for (const c of cases)
      it(`${JSON.stringify(c.sel)} ${c.want ? 'matches' : 'does not match'} app=web,tier=front`, () =>
        assert.equal(matches(parseSelector(c.sel), labels), c.want));

    it('treats missing labels as no labels', () => {
      assert.equal(matches([], undefined), true);
      assert.equal(matches(parseSelector('!app'), undefined), true);
      assert.equal(matches(parseSelector('app'), undefined), false);
    });

    it('does not see inherited properties as labels', () => {
      assert.equal(matches(parseSelector('toString'), {}), false);
      assert.equal(matches(parseSelector('!constructor'), {}), true);
    });

    const numeric: { name: string; r: Requirement; labels: Record<string, string>; want: boolean }[] = [
      { name: 'Gt holds for a larger integer', r: req('cpus', 'Gt', ['4']), labels: { cpus: '8' }, want: true },
      { name: 'Gt fails for an equal integer', r: req('cpus', 'Gt', ['8']), labels: { cpus: '8' }, want: false },
      { name: 'Lt holds for a smaller integer', r: req('cpus', 'Lt', ['4']), labels: { cpus: '2' }, want: true },
      { name: 'Lt compares numbers, not strings', r: req('cpus', 'Lt', ['10']), labels: { cpus: '9' }, want: true },
      { name: 'Gt with negative numbers', r: req('t', 'Gt', ['-5']), labels: { t: '-2' }, want: true },
      { name: 'Gt fails without the label', r: req('cpus', 'Gt', ['4']), labels: {}, want: false },
      { name: 'Gt fails for a non-number label', r: req('cpus', 'Gt', ['4']), labels: { cpus: 'many' }, want: false },
      { name: 'Gt fails for a label that only starts with a number', r: req('cpus', 'Gt', ['4']), labels: { cpus: '8x' }, want: false },
      { name: 'Lt fails for a decimal label', r: req('cpus', 'Lt', ['4']), labels: { cpus: '1.5' }, want: false },
      { name: 'Gt fails for a non-number bound', r: req('cpus', 'Gt', ['four']), labels: { cpus: '8' }, want: false },
      { name: 'Gt fails with two bounds', r: req('cpus', 'Gt', ['1', '2']), labels: { cpus: '8' }, want: false },
    ];
    for (const c of numeric) it(c.name, () => assert.equal(matches([c.r], c.labels), c.want));
  });

  describe('structured selectors', () => {
    it('fromLabelSelector compiles matchLabels then matchExpressions', () => {
      const sel = fromLabelSelector({
        matchLabels: { app: 'web', tier: 'front' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod', 'staging'] },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      });
      assert.deepEqual(sel, [req('app', 'In', ['web']), req('tier', 'In', ['front']), req('env', 'In', ['prod', 'staging']), req('canary', 'DoesNotExist')]);
      assert.equal(matches(sel, { app: 'web', tier: 'front', env: 'prod' }), true);
      assert.equal(matches(sel, { app: 'web', tier: 'front', env: 'prod', canary: 'yes' }), false);
      assert.equal(matches(sel, { app: 'web', tier: 'front', env: 'dev' }), false);
    });

    it('fromLabelSelector of nothing selects everything', () => {
      assert.deepEqual(fromLabelSelector(undefined), []);
      assert.deepEqual(fromLabelSelector({}), []);
    });

    it('fromLabels matches exactly the given labels, as a Service selector', () => {
      const sel = fromLabels({ app: 'web' });
      assert.deepEqual(sel, [req('app', 'In', ['web'])]);
      assert.equal(matches(sel, { app: 'web', other: 'x' }), true);
      assert.equal(matches(sel, { app: 'db' }), false);
      assert.deepEqual(fromLabels(undefined), []);
    });
  });

  describe('selectorToString', () => {
    const cases: { r: Requirement[]; want: string }[] = [
      { r: [], want: '' },
      { r: [req('app', 'In', ['web'])], want: 'app=web' },
      { r: [req('app', 'In', ['a', 'b'])], want: 'app in (a,b)' },
      { r: [req('app', 'NotIn', ['web'])], want: 'app!=web' },
      { r: [req('app', 'NotIn', ['a', 'b'])], want: 'app notin (a,b)' },
      { r: [req('app', 'Exists')], want: 'app' },
      { r: [req('app', 'DoesNotExist')], want: '!app' },
      { r: [req('cpus', 'Gt', ['4'])], want: 'cpus>4' },
      { r: [req('cpus', 'Lt', ['4'])], want: 'cpus<4' },
      { r: [req('app', 'In', ['web']), req('canary', 'DoesNotExist')], want: 'app=web,!canary' },
    ];
    for (const c of cases) it(`prints ${JSON.stringify(c.want)}`, () => assert.equal(selectorToString(c.r), c.want));

    it('prints what parses back to the same selector', () => {
      for (const text of ['app=web', 'app!=web', 'tier in (a,b)', 'tier notin (a,b)', 'canary', '!legacy', 'app=web,tier in (a,b),!legacy']) {
        const sel = parseSelector(text);
        assert.deepEqual(parseSelector(selectorToString(sel)), sel, text);
        assert.equal(selectorToString(sel), text);
      }
    });
  });

  describe('nodeSelectorTermMatches', () => {
    const labels = { 'kubernetes.io/hostname': 'node-1', zone: 'a', cpus: '8' };
    const fields = { 'metadata.name': 'node-1' };
    const cases: { name: string; term: NodeSelectorTerm; want: boolean }[] = [
      { name: 'an empty term matches nothing, as in Kubernetes', term: {}, want: false },
      { name: 'empty lists match nothing too', term: { matchExpressions: [], matchFields: [] }, want: false },
      { name: 'In on a label', term: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }, want: true },
      { name: 'NotIn on a label', term: { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, want: false },
      { name: 'Exists without values', term: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, want: true },
      { name: 'DoesNotExist', term: { matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }, want: true },
      { name: 'Gt on a numeric label', term: { matchExpressions: [{ key: 'cpus', operator: 'Gt', values: ['4'] }] }, want: true },
      { name: 'Lt on a numeric label', term: { matchExpressions: [{ key: 'cpus', operator: 'Lt', values: ['4'] }] }, want: false },
      {
        name: 'all expressions must hold',
        term: {
          matchExpressions: [
            { key: 'zone', operator: 'In', values: ['a'] },
            { key: 'cpus', operator: 'Lt', values: ['4'] },
          ],
        },
        want: false,
      },
      { name: 'matchFields on metadata.name', term: { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] }, want: true },
      { name: 'matchFields that names another node', term: { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-2'] }] }, want: false },
      { name: 'fields are not labels', term: { matchFields: [{ key: 'zone', operator: 'In', values: ['a'] }] }, want: false },
      { name: 'labels are not fields', term: { matchExpressions: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] }, want: false },
      {
        name: 'expressions and fields must both hold',
        term: {
          matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }],
          matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['node-1'] }],
        },
        want: false,
      },
    ];
    for (const c of cases) it(c.name, () => assert.equal(nodeSelectorTermMatches(c.term, labels, fields), c.want));

    it('a node without labels matches only DoesNotExist and NotIn', () => {
      assert.equal(nodeSelectorTermMatches({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, undefined, fields), true);
      assert.equal(nodeSelectorTermMatches({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, undefined, fields), true);
      assert.equal(nodeSelectorTermMatches({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, undefined, fields), false);
    });
  });
});
