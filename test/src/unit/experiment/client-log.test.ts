import assert from 'node:assert/strict';
import { ClientLogReader, parseClientLine } from '@kip/scripts';

const T = '2026-01-02T03:04:05.678Z';
const END = Date.parse(T);

describe('experiment probe: reading the client log', () => {
  it('reads a successful request, placing it at its send time', () => {
    assert.deepEqual(parseClientLine(`${T} #12 GET http://web/ status=200 latency=3ms bytes=91 pod=web-6f7c-abcde node=node-2`), {
      seq: 12,
      t: END - 3,
      latencyMs: 3,
      ok: true,
      status: 200,
      pod: 'web-6f7c-abcde',
      node: 'node-2',
    });
  });

  it('reads an older line with only the header-named pod', () => {
    assert.deepEqual(parseClientLine(`${T} #1 GET http://web/ status=204 latency=12ms bytes=0 pod=web-1`), {
      seq: 1,
      t: END - 12,
      latencyMs: 12,
      ok: true,
      status: 204,
      pod: 'web-1',
    });
  });

  it('reads a connection error as a failure with its message', () => {
    assert.deepEqual(parseClientLine(`${T} #13 GET http://web/ error="timeout after 1s" latency=1002ms`), {
      seq: 13,
      t: END - 1002,
      latencyMs: 1002,
      ok: false,
      error: 'timeout after 1s',
    });
  });

  it('reads an error answer from the proxy as a failure, with its reason, even when the reason looks like fields', () => {
    const s = parseClientLine(`${T} #14 GET http://web/ status=503 latency=2ms bytes=40 reason="no endpoints for pod=x latency=9ms"`);
    assert.deepEqual(s, { seq: 14, t: END - 2, latencyMs: 2, ok: false, status: 503, error: 'HTTP 503: no endpoints for pod=x latency=9ms' });
  });

  it('counts a redirect as a success, as the client does', () => {
    assert.equal(parseClientLine(`${T} #2 GET http://web/ status=302 latency=1ms bytes=0`)?.ok, true);
  });

  it('reads an error message with escaped quotes', () => {
    assert.equal(parseClientLine(`${T} #3 GET http://web/ error="connect \\"refused\\"" latency=1ms`)?.error, 'connect "refused"');
  });

  it('ignores the banner, the summary and anything else', () => {
    for (const line of [
      `${T} client: calling http://web/ every 100ms via proxy 127.0.0.1:4000`,
      'client: requests=10 ok=9 errors=1',
      '',
      'garbage',
      `${T} #x GET http://web/ status=200 latency=1ms`,
    ]) {
      assert.equal(parseClientLine(line), undefined, line);
    }
  });

  it('joins lines split across chunks, and counts a request read twice once', () => {
    const seen: number[] = [];
    const r = new ClientLogReader((s) => seen.push(s.seq));
    const lines = `${T} #1 GET http://web/ status=200 latency=3ms bytes=1\n${T} #2 GET http://web/ error="refused" latency=1ms\n`;
    const firstEnd = lines.indexOf('\n') + 1;
    r.push(lines.slice(0, 30));
    assert.equal(r.samples.length, 0);
    r.push(lines.slice(30, firstEnd + 10));
    assert.equal(r.samples.length, 1);
    r.push(lines.slice(firstEnd + 10));
    assert.deepEqual(seen, [1, 2]);
    // The stream broke mid-line and is read again from the top.
    r.push(`${T} #3 GET http://web/ sta`);
    r.restart();
    r.push(lines + `${T} #3 GET http://web/ status=200 latency=5ms bytes=1\n`);
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(r.samples[2]!.latencyMs, 5);
    assert.equal(r.highestSeq, 3);
  });

  it('completes a last line without a newline at the end of the stream', () => {
    const r = new ClientLogReader();
    r.push(`${T} #7 GET http://web/ status=200 latency=3ms bytes=1`);
    assert.equal(r.samples.length, 0);
    r.end();
    assert.equal(r.samples.length, 1);
  });
});
