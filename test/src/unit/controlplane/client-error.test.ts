// What the API server answers when Node's HTTP parser gives up on a request: a slow sender cut off
// by the timeouts gets 408, an oversized header block 431, anything else 400; each closes.

import assert from 'node:assert/strict';
import { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, clientErrorResponse } from '@kip/controlplane';

describe('controlplane/server: client errors', () => {
  const cases: [string | undefined, RegExp][] = [
    ['ERR_HTTP_REQUEST_TIMEOUT', /^HTTP\/1\.1 408 Request Timeout\r\n/],
    ['HPE_HEADER_OVERFLOW', /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/],
    ['HPE_INVALID_METHOD', /^HTTP\/1\.1 400 Bad Request\r\n/],
    [undefined, /^HTTP\/1\.1 400 Bad Request\r\n/],
  ];
  for (const [code, answer] of cases)
    it(`${code ?? 'an error without a code'} is answered ${answer.source.slice(12, 15)} and closes`, () => {
      const text = clientErrorResponse(code);
      assert.match(text, answer);
      assert.match(text, /\r\nConnection: close\r\n/);
      assert.ok(text.endsWith('\r\n\r\n'));
    });

  it('gives slow senders seconds, not minutes', () => {
    assert.ok(HEADERS_TIMEOUT_MS <= 15_000 && REQUEST_TIMEOUT_MS <= 60_000 && HEADERS_TIMEOUT_MS < REQUEST_TIMEOUT_MS);
  });
});
