import assert from 'node:assert/strict';
import net from 'node:net';
import { bufferIO } from '@kip/scripts';
import { main, splitCommand } from '@kip/scripts';
import { COMMANDS } from '@kip/scripts';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function run(argv: string[], env: Record<string, string> = {}) {
  const io = bufferIO({ env });
  const code = await main(argv, io);
  return { code, out: io.stdout.text(), err: io.stderr.text() };
}

describe('cli main', () => {
  it('finds the command after global flags and their values', () => {
    assert.deepEqual(splitCommand(['-n', 'demo', 'get', 'pods']), { command: 'get', rest: ['-n', 'demo', 'pods'] });
    assert.deepEqual(splitCommand(['--namespace=demo', '-A', 'get']), { command: 'get', rest: ['--namespace=demo', '-A'] });
    assert.deepEqual(splitCommand(['--help']), { rest: ['--help'] });
  });

  it('prints the command list with no arguments or --help, and exits 0', async () => {
    for (const argv of [[], ['--help'], ['help']]) {
      const r = await run(argv);
      assert.equal(r.code, 0);
      assert.match(r.out, /Basic Commands:\n {2}create +Create a resource/);
      for (const c of COMMANDS) assert.ok(r.out.includes(`  ${c.name} `), `${c.name} is listed`);
    }
  });

  it('gives every command --help with usage and examples', async () => {
    for (const c of COMMANDS) {
      const r = await run([c.name, '--help']);
      assert.equal(r.code, 0, c.name);
      assert.match(r.out, /Examples:\n {2}# /, `${c.name} has examples`);
      assert.match(r.out, new RegExp(`Usage:\\n {2}kip ${c.name}`), `${c.name} has usage`);
    }
  });

  it('refuses an unknown command with a suggestion, and exits 1', async () => {
    const r = await run(['gte', 'pods']);
    assert.equal(r.code, 1);
    assert.equal(r.err, 'error: unknown command "gte" for "kip"\n\nDid you mean this?\n\tget\n\nRun \'kip --help\' for usage.\n');
  });

  it('refuses an unknown flag with the usage of the command', async () => {
    const r = await run(['get', 'pods', '--colour']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^error: unknown flag: --colour\nUsage:\n {2}kip get .*\nSee 'kip get --help' for usage\.\n$/);
  });

  it("explains a refused connection in kubectl's words, without a stack", async () => {
    const port = await closedPort();
    const r = await run(['get', 'pods', '--server', `http://127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `The connection to the server 127.0.0.1:${port} was refused - did you specify the right host or port? (start one with: npm run cluster -- --nodes 3)\n`,
    );
  });

  it('takes the server from KIP_SERVER, and refuses a malformed one', async () => {
    const port = await closedPort();
    const r = await run(['get', 'nodes'], { KIP_SERVER: `127.0.0.1:${port}` });
    assert.match(r.err, new RegExp(`server 127\\.0\\.0\\.1:${port} was refused`));
    const bad = await run(['get', 'nodes', '--server', 'ftp://x']);
    assert.equal(bad.code, 1);
    assert.equal(bad.err, 'error: invalid server "ftp://x": the scheme must be http or https\n');
  });

  it('checks its arguments before calling the server', async () => {
    const port = await closedPort();
    const server = ['--server', `http://127.0.0.1:${port}`];
    const cases: [string[], RegExp][] = [
      [['get'], /^error: You must specify the type of resource to get/],
      [['get', 'widgets'], /^error: the server doesn't have a resource type "widgets"\n$/],
      [['get', 'pods', '-o', 'xml'], /allowed formats are: custom-columns=...,json,jsonpath=...,name,wide,yaml\n/],
      [['get', 'pods', 'a', '-l', 'app=web'], /name cannot be provided when a selector is specified/],
      [['get', 'pods', '-w', 'a', 'b'], /watch is only supported on individual resources and resource collections, but 2 resources were found/],
      [['scale', 'deploy/web'], /required flag\(s\) "replicas" not set/],
      [['delete'], /You must provide one or more resources by argument or filename/],
      [['delete', 'pods'], /resource\(s\) were provided, but no name was specified/],
      [['apply'], /must specify one of -f/],
      [['top'], /top needs a resource: nodes or pods/],
      [['logs'], /expected POD \[CONTAINER\] or TYPE\/NAME/],
    ];
    for (const [argv, want] of cases) {
      const r = await run([...argv, ...server]);
      assert.equal(r.code, 1, argv.join(' '));
      assert.match(r.err, want, argv.join(' '));
      assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    }
  });

  it('prints the client version without a server', async () => {
    const r = await run(['version', '--client']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^Client Version: v\d+\.\d+\.\d+\n$/);
  });
});
