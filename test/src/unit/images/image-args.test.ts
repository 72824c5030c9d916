// The command lines of stress(1) and busybox wget, as the docs' manifests write them.

import assert from 'node:assert/strict';
import { parseStressArgs, parseWgetArgs, proxyFor, StressUsageError, WgetUsageError } from '@kip/agent';

describe('images: stress(1) and wget command lines', function () {
  it("reads stress(1)'s long and short flags, sizes and times", function () {
    const o = parseStressArgs(['--vm', '1', '--vm-bytes', '150M', '--vm-hang', '1']);
    assert.deepEqual([o.vm, o.vmBytes, o.vmHang, o.cpu, o.timeout], [1, 150 * 2 ** 20, 1, 0, 0]);
    const s = parseStressArgs(['-c', '2', '-m1', '--vm-bytes=1G', '-t', '2m', '-i', '1', '-v', '--vm-keep', '-d', '1', '--hdd-bytes', '64K']);
    assert.deepEqual([s.cpu, s.vm, s.vmBytes, s.timeout, s.io, s.verbose, s.vmKeep, s.hdd, s.hddBytes], [2, 1, 2 ** 30, 120, 1, true, true, 1, 65536]);
    assert.equal(parseStressArgs(['--timeout', '10s']).timeout, 10);
    assert.equal(parseStressArgs(['--vm-hang', '0']).vmHang, 0);
    assert.equal(parseStressArgs([]).vmBytes, 256 * 2 ** 20);
    const cases: [string[], RegExp][] = [
      [['--memory', '1G'], /unrecognized option '--memory'/],
      [['--vm-bytes', 'lots'], /invalid number in size: lots/],
      [['--timeout', '5x'], /invalid time specifier: 5x/],
      [['--cpu'], /requires an argument/],
      [['-x'], /unrecognized option '-x'/],
    ];
    for (const [argv, re] of cases)
      assert.throws(
        () => parseStressArgs(argv),
        (e: unknown) => e instanceof StressUsageError && re.test(e.message),
        argv.join(' '),
      );
  });

  it("reads busybox wget's flags, bundled or apart", function () {
    const a = parseWgetArgs(['-qO-', 'http://web']);
    assert.deepEqual([a.quiet, a.output, a.urls], [true, '-', ['http://web']]);
    const b = parseWgetArgs(['-q', '-O', '/tmp/x', '-T', '5', '--spider', '-Y', 'off', '--header', 'X-A: 1', 'web:8080/a']);
    assert.deepEqual([b.output, b.timeoutMs, b.spider, b.proxy, b.headers, b.urls], ['/tmp/x', 5000, true, false, ['X-A: 1'], ['web:8080/a']]);
    assert.equal(parseWgetArgs(['--timeout=2', '--output-document=f', 'u']).timeoutMs, 2000);
    for (const [argv, re] of [
      [[], /missing URL/],
      [['-z', 'u'], /invalid option -- 'z'/],
      [['u', '-O'], /requires an argument -- 'O'/],
      [['-T', 'soon', 'u'], /invalid number 'soon'/],
    ] as [string[], RegExp][])
      assert.throws(
        () => parseWgetArgs(argv),
        (e: unknown) => e instanceof WgetUsageError && re.test(e.message),
      );
  });

  it('goes through http_proxy unless no_proxy names the host', function () {
    const env = { HTTP_PROXY: 'http://default:box@127.0.0.1:9000', NO_PROXY: '127.0.0.1,localhost,.local' };
    assert.equal(proxyFor(new URL('http://10.96.0.10/'), env)?.port, '9000');
    assert.equal(proxyFor(new URL('http://web.default.svc/'), env)?.username, 'default');
    assert.equal(proxyFor(new URL('http://127.0.0.1:80/'), env), undefined);
    assert.equal(proxyFor(new URL('http://a.local/'), env), undefined);
    assert.equal(proxyFor(new URL('http://x/'), {}), undefined);
  });
});
