import assert from 'node:assert/strict';
import fs from 'node:fs';
import { builtinImageNames, ImagePullError, parseImageReference, resolveImage } from '@kip/agent';
import { FlagError, parseFlags } from '@kip/agent';

describe('images: references and the built-in registry', () => {
  it('takes the last path segment and ignores registry, tag and digest', () => {
    const table: [string, string, string | undefined, string | undefined][] = [
      ['pause', 'pause', undefined, undefined],
      ['registry.k8s.io/pause:3.9', 'pause', '3.9', undefined],
      ['hashicorp/http-echo:1.0', 'http-echo', '1.0', undefined],
      ['localhost:5000/team/crasher', 'crasher', undefined, undefined],
      ['localhost:5000/team/stress:v2@sha256:abcd', 'stress', 'v2', 'sha256:abcd'],
      ['docker.io/library/busybox@sha256:ff', 'busybox', undefined, 'sha256:ff'],
      ['Client', 'client', undefined, undefined],
    ];
    for (const [ref, name, tag, digest] of table) {
      const r = parseImageReference(ref);
      assert.equal(r.name, name, ref);
      assert.equal(r.tag, tag, ref);
      assert.equal(r.digest, digest, ref);
    }
    for (const bad of ['', ' ', 'pause:', 'a b', '-x', 'repo/']) assert.throws(() => parseImageReference(bad), ImagePullError, bad);
  });

  it('resolves the built-ins to programs that exist, and refuses others with a clear reason', () => {
    assert.ok(['pause', 'http-echo', 'crasher', 'stress', 'client'].every((n) => builtinImageNames().includes(n)));
    for (const name of ['http-echo', 'crasher', 'stress', 'client']) {
      const img = resolveImage(`example.com/${name}:latest`);
      assert.equal(img.imageID, `kip://${name}`);
      assert.equal(img.entrypoint[0], process.execPath);
      assert.ok(fs.existsSync(img.entrypoint[1]!), `${name} program is built`);
    }
    assert.equal(resolveImage('registry.k8s.io/pause:3.9').entrypoint[0], '/bin/sh');
    assert.deepEqual(resolveImage('busybox:1.36').cmd, ['sh']);
    assert.throws(
      () => resolveImage('example.com/team/webshop:1.25'),
      (e: unknown) =>
        e instanceof ImagePullError &&
        e.code === 'ErrImagePull' &&
        /kip has no image "team\/webshop"/.test(e.message) &&
        /nginx/.test(e.message) &&
        /--images/.test(e.message),
    );
  });
});

describe('images: flags', () => {
  const specs = {
    listen: { kind: 'string' as const },
    after: { kind: 'duration' as const, aliases: ['delay'] },
    code: { kind: 'int' as const },
    memory: { kind: 'bytes' as const },
    quiet: { kind: 'bool' as const, aliases: ['q'] },
  };
  it('accepts Go and GNU spellings', () => {
    assert.deepEqual(parseFlags(['-listen=:5678', '--after', '2s', '--code=3', '-memory', '200Mi', '-q', 'http://x'], specs), {
      values: { listen: ':5678', after: 2000, code: 3, memory: 200 * 2 ** 20, quiet: true },
      positional: ['http://x'],
    });
    assert.deepEqual(parseFlags(['--delay=1m30s', '--', '-not-a-flag'], specs).values, { after: 90_000 });
    assert.deepEqual(parseFlags(['-quiet=false'], specs).values, { quiet: false });
  });
  it('names the flag and the reason on bad input', () => {
    const cases: [string[], RegExp][] = [
      [['--nope'], /flag provided but not defined: -nope/],
      [['--code'], /flag needs an argument: -code/],
      [['--code=abc'], /invalid value "abc" for flag -code: must be an integer/],
      [['--after=soon'], /invalid value "soon" for flag -after: must be a duration/],
      [['--memory=lots'], /invalid value "lots" for flag -memory/],
    ];
    for (const [argv, re] of cases)
      assert.throws(
        () => parseFlags(argv, specs),
        (e: unknown) => e instanceof FlagError && re.test(e.message),
        argv.join(' '),
      );
  });
});
