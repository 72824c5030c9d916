import assert from 'node:assert/strict';
import { formatFlagHelp, parseFlags, type FlagSpec } from '@kip/scripts';
import { UsageError } from '@kip/scripts';

const SPECS: FlagSpec[] = [
  { name: 'namespace', short: 'n', type: 'string', description: 'ns' },
  { name: 'output', short: 'o', type: 'string', description: 'format' },
  { name: 'all-namespaces', short: 'A', type: 'bool', description: 'all' },
  { name: 'watch', short: 'w', type: 'bool', description: 'watch' },
  { name: 'wait', type: 'bool', default: true, description: 'wait' },
  { name: 'replicas', type: 'int', description: 'n' },
  { name: 'filename', short: 'f', type: 'strings', description: 'files' },
  { name: 'timeout', type: 'duration', default: 0, description: 't' },
];

describe('cli flags', () => {
  const cases: { name: string; argv: string[]; check: (p: ReturnType<typeof parseFlags>) => void }[] = [
    {
      name: 'long flag with separate value',
      argv: ['--namespace', 'demo', 'pods'],
      check: (p) => (assert.equal(p.str('namespace'), 'demo'), assert.deepEqual(p.positionals, ['pods'])),
    },
    { name: 'long flag with = value', argv: ['pods', '--namespace=demo'], check: (p) => assert.equal(p.str('namespace'), 'demo') },
    { name: 'short flag with separate value', argv: ['-n', 'demo'], check: (p) => assert.equal(p.str('namespace'), 'demo') },
    { name: 'short flag with attached value', argv: ['-owide'], check: (p) => assert.equal(p.str('output'), 'wide') },
    { name: 'short flag with = value', argv: ['-n=demo'], check: (p) => assert.equal(p.str('namespace'), 'demo') },
    {
      name: 'stacked short booleans then a value flag',
      argv: ['-Awoyaml'],
      check: (p) => (assert.equal(p.bool('all-namespaces'), true), assert.equal(p.bool('watch'), true), assert.equal(p.str('output'), 'yaml')),
    },
    { name: 'boolean default applies when not given', argv: [], check: (p) => (assert.equal(p.bool('wait'), true), assert.equal(p.has('wait'), false)) },
    { name: 'boolean set false with =', argv: ['--wait=false'], check: (p) => (assert.equal(p.bool('wait'), false), assert.equal(p.has('wait'), true)) },
    { name: 'integer flag', argv: ['--replicas=3'], check: (p) => assert.equal(p.int('replicas'), 3) },
    { name: 'negative integer as a separate value', argv: ['--replicas', '-1'], check: (p) => assert.equal(p.int('replicas'), -1) },
    { name: 'duration flag in milliseconds', argv: ['--timeout=1m30s'], check: (p) => assert.equal(p.duration('timeout'), 90_000) },
    {
      name: 'list flag repeated and comma-separated',
      argv: ['-f', 'a.yaml,b.yaml', '-f', 'c.yaml'],
      check: (p) => assert.deepEqual(p.list('filename'), ['a.yaml', 'b.yaml', 'c.yaml']),
    },
    { name: 'a lone dash is a positional (stdin)', argv: ['-f', '-'], check: (p) => assert.deepEqual(p.list('filename'), ['-']) },
    {
      name: '-- ends flags',
      argv: ['logs', '--', '-w', '--x'],
      check: (p) => (assert.deepEqual(p.positionals, ['logs', '-w', '--x']), assert.equal(p.bool('watch'), false)),
    },
    {
      name: 'flags anywhere among positionals',
      argv: ['get', '-A', 'pods', '-o', 'name', 'x'],
      check: (p) => assert.deepEqual(p.positionals, ['get', 'pods', 'x']),
    },
  ];
  for (const c of cases) it(c.name, () => c.check(parseFlags(c.argv, SPECS)));

  const errors: { name: string; argv: string[]; message: RegExp }[] = [
    { name: 'unknown long flag', argv: ['--bogus'], message: /^unknown flag: --bogus$/ },
    { name: 'unknown shorthand', argv: ['-x'], message: /^unknown shorthand flag: 'x' in -x$/ },
    { name: 'missing value for long flag', argv: ['--namespace'], message: /^flag needs an argument: --namespace$/ },
    { name: 'missing value for short flag', argv: ['-n'], message: /^flag needs an argument: 'n' in -n$/ },
    { name: 'integer that is not one', argv: ['--replicas=three'], message: /invalid argument "three" for "--replicas" flag: must be an integer/ },
    { name: 'boolean that is not one', argv: ['--wait=maybe'], message: /invalid argument "maybe" for "--wait" flag: must be true or false/ },
    { name: 'duration that is not one', argv: ['--timeout=soon'], message: /invalid argument "soon" for "--timeout" flag: must be a duration/ },
  ];
  for (const e of errors)
    it(`rejects ${e.name}`, () => {
      assert.throws(
        () => parseFlags(e.argv, SPECS),
        (err: unknown) => err instanceof UsageError && e.message.test(err.message),
      );
    });

  it('formats help with short names, value names and defaults aligned', () => {
    const text = formatFlagHelp(SPECS);
    const lines = text.split('\n');
    assert.equal(lines.length, SPECS.length);
    assert.match(lines[0]!, /^ {2}-n, --namespace string +ns$/);
    assert.match(text, /--wait +wait \(default true\)/);
    assert.ok(
      lines.every((l) => l.indexOf('--') === lines[0]!.indexOf('--')),
      'long names start in one column',
    );
  });
});
