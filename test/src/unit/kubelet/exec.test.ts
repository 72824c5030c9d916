// kubectl exec on the agent: a terminal is script(1)'s pty around the command, quoted for its sh.

import assert from 'node:assert/strict';
import { execArgv, shellQuote } from '@kip/agent';

describe('exec on the agent', () => {
  it('quotes only what needs quoting, and quotes quotes', () => {
    assert.equal(shellQuote('ls'), 'ls');
    assert.equal(shellQuote('/tmp/a-b_c.txt'), '/tmp/a-b_c.txt');
    assert.equal(shellQuote('echo hi'), "'echo hi'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote('$HOME'), "'$HOME'");
  });

  it('runs the command as given without a terminal, and under script(1) with one', () => {
    assert.deepEqual(execArgv({ argv: ['sh', '-c', 'echo hi'], tty: false }, true), ['sh', '-c', 'echo hi']);
    assert.deepEqual(execArgv({ argv: ['sh', '-c', 'echo hi'], tty: true }, true), ['/usr/bin/script', '-qfec', "sh -c 'echo hi'", '/dev/null']);
    assert.deepEqual(execArgv({ argv: ['sh'], tty: true }, false), ['sh']);
  });
});
