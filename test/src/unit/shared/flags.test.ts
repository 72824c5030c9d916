import assert from 'node:assert/strict';
import { CommandLineError, readCommandLine, scanArgs, type FlagShape } from '@kip/shared';

const SHAPES: Record<string, FlagShape> = {
  namespace: { value: true, short: 'n' },
  output: { value: true, short: 'o' },
  all: { value: false, short: 'A' },
  watch: { value: false, short: 'w' },
};

/** "name=value" per flag ("name" alone without a value, "?name" when unknown), then the positionals. */
function scanned(argv: string[], grammar: 'gnu' | 'go' = 'gnu'): { flags: string[]; positionals: string[] } {
  const s = scanArgs(argv, SHAPES, grammar);
  return { flags: s.flags.map((f) => `${f.known ? '' : '?'}${f.name}${f.value === undefined ? '' : `=${f.value}`}`), positionals: s.positionals };
}

describe('shared flags: scanArgs', () => {
  const cases: { name: string; argv: string[]; grammar?: 'gnu' | 'go'; flags: string[]; positionals?: string[] }[] = [
    { name: 'long flags with their values, inline or after', argv: ['--namespace', 'a', '--output=wide'], flags: ['namespace=a', 'output=wide'] },
    { name: 'a short run ending in a flag with a value', argv: ['-Awoyaml'], flags: ['all', 'watch', 'output=yaml'] },
    { name: 'a switch given a value after =', argv: ['-Aw=false', 'x'], flags: ['all', 'watch=false'], positionals: ['x'] },
    { name: 'a short flag given its value after =', argv: ['-n=demo'], flags: ['namespace=demo'] },
    { name: 'a word starting with a digit is a positional', argv: ['-1', '-2n'], flags: [], positionals: ['-1', '-2n'] },
    { name: 'a value is taken as written, dashes and all', argv: ['-n', '-A=false'], flags: ['namespace=-A=false'] },
    { name: 'unknown flags are marked, not refused', argv: ['--bogus=1', '-Ax'], flags: ['?bogus=1', 'all', '?x'] },
    { name: '-- ends the flags', argv: ['-w', '--', '-A', '--x'], flags: ['watch'], positionals: ['-A', '--x'] },
    {
      name: "Go's one-dash long flags",
      argv: ['-namespace=a', '-all', '--output', 'json', '-'],
      grammar: 'go',
      flags: ['namespace=a', 'all', 'output=json'],
      positionals: ['-'],
    },
    { name: "Go's positionals stay as written after --", argv: ['--', '-all'], grammar: 'go', flags: [], positionals: ['-all'] },
  ];
  for (const c of cases)
    it(c.name, () => {
      assert.deepEqual(scanned(c.argv, c.grammar), { flags: c.flags, positionals: c.positionals ?? [] });
    });
});

describe('shared flags: readCommandLine', () => {
  const options = { nodes: { type: 'string', short: 'n' }, quiet: { type: 'boolean' } } as const;

  it('reads flags and, when allowed, positionals', () => {
    const r = readCommandLine(['-n', '3', '--quiet', 'file.yaml'], options, true);
    assert.deepEqual({ ...r.values }, { nodes: '3', quiet: true });
    assert.deepEqual(r.positionals, ['file.yaml']);
  });

  it("refuses in parseArgs' words, with its code", () => {
    assert.throws(
      () => readCommandLine(['--bogus'], options),
      (e: unknown) => e instanceof CommandLineError && e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && /Unknown option '--bogus'/.test(e.message),
    );
    assert.throws(
      () => readCommandLine(['x'], options),
      (e: unknown) => e instanceof CommandLineError && e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL',
    );
  });
});
