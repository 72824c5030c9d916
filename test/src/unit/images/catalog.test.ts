// The image catalog: which references name which image, what each image runs (ENTRYPOINT, CMD,
// ENV, its programs on PATH) and how a container's command and args combine with it, as the
// kubelet applies them. The stand-ins are real files, checked by running them.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Container } from '@kip/shared';
import { builtinImageNames, containerArgv, ImagePullError, imageProgram, imageRunEnv, parseImageReference, resolveImage } from '@kip/agent';

describe('images: the catalog', function () {
  it('reads a reference as a repository path without registry or library/, keeping tag and digest', function () {
    const table: [string, string, string | undefined, string | undefined, string | undefined][] = [
      ['nginx', 'nginx', undefined, undefined, undefined],
      ['docker.io/library/nginx:1.27@sha256:ab', 'nginx', 'docker.io', '1.27', 'sha256:ab'],
      ['library/busybox:1.36', 'busybox', undefined, '1.36', undefined],
      ['registry.k8s.io/e2e-test-images/agnhost:2.40', 'e2e-test-images/agnhost', 'registry.k8s.io', '2.40', undefined],
      ['localhost:5000/team/app:v2', 'team/app', 'localhost:5000', 'v2', undefined],
      ['localhost/app', 'app', 'localhost', undefined, undefined],
      ['polinux/stress', 'polinux/stress', undefined, undefined, undefined],
      ['quay.io/library/x', 'library/x', 'quay.io', undefined, undefined],
    ];
    for (const [ref, repository, registry, tag, digest] of table) {
      const r = parseImageReference(ref);
      assert.deepEqual([r.repository, r.registry, r.tag, r.digest], [repository, registry, tag, digest], ref);
    }
    for (const bad of ['a//b', '/x', 'x:']) assert.throws(() => parseImageReference(bad), ImagePullError, bad);
  });

  it('maps the docs images to their families, whatever the registry and tag', function () {
    const table: [string, string][] = [
      ['nginx:1.14.2', 'nginx'],
      ['docker.io/library/nginx@sha256:0123', 'nginx'],
      ['registry.k8s.io/nginx-slim:0.8', 'nginx'],
      ['httpd:2.4', 'httpd'],
      ['caddy', 'caddy'],
      ['busybox:1.28', 'busybox'],
      ['registry.k8s.io/busybox', 'busybox'],
      ['gcr.io/google-containers/busybox', 'busybox'],
      ['alpine:3.19', 'alpine'],
      ['debian:bookworm', 'debian'],
      ['ubuntu:22.04', 'ubuntu'],
      ['registry.k8s.io/e2e-test-images/agnhost:2.40', 'agnhost'],
      ['registry.k8s.io/liveness', 'liveness'],
      ['k8s.gcr.io/liveness', 'liveness'],
      ['registry.k8s.io/goproxy:0.1', 'goproxy'],
      ['registry.k8s.io/serve_hostname', 'serve_hostname'],
      ['registry.k8s.io/echoserver:1.4', 'echoserver'],
      ['gcr.io/google-samples/hello-app:2.0', 'hello-app'],
      ['gcr.io/google-samples/node-hello:1.0', 'node-hello'],
      ['registry.k8s.io/hpa-example', 'hpa-example'],
      ['polinux/stress', 'polinux/stress'],
      ['progrium/stress', 'progrium/stress'],
      // kip's own stress answers to any other stress, as before (vish/stress's -cpus is its --cpus).
      ['stress', 'stress'],
      ['vish/stress', 'stress'],
      ['perl:5.34.0', 'perl'],
      ['python:3', 'python'],
      ['node:20-alpine', 'node'],
      ['hashicorp/http-echo:1.0', 'http-echo'],
      ['registry.k8s.io/pause:3.9', 'pause'],
      ['example.com/team/crasher:v2', 'crasher'],
    ];
    for (const [ref, name] of table) assert.equal(resolveImage(ref).name, name, ref);
  });

  it('refuses an unknown image with the names kip knows and how to add one', function () {
    assert.throws(
      () => resolveImage('example.com/acme/shop:3'),
      (e: unknown) =>
        e instanceof ImagePullError &&
        /kip has no image "acme\/shop"/.test(e.message) &&
        /nginx, httpd, caddy/.test(e.message) &&
        /images\.yaml/.test(e.message),
    );
  });

  it('refuses an interpreter image when the host lacks the interpreter, naming it', function () {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      assert.throws(
        () => resolveImage('perl:5.34.0'),
        (e: unknown) => e instanceof ImagePullError && /host's perl/.test(e.message) && /no perl on its PATH/.test(e.message),
      );
    } finally {
      process.env.PATH = saved;
    }
  });

  function argvOf(ref: string, container: Partial<Container>, hostPorts: Record<string, number> = {}): { argv: string[]; env: Record<string, string> } {
    const image = resolveImage(ref);
    const c = { name: 'c', ...container } as Container;
    const env = imageRunEnv(image, { PATH: '/usr/bin:/bin', HOME: '/tmp' }, c, hostPorts);
    const argv = containerArgv(c, image, env);
    argv[0] = imageProgram(image, argv[0]!);
    return { argv, env };
  }

  it("applies command and args over the image's ENTRYPOINT and CMD, with its programs first on PATH", function () {
    const nginx = argvOf('nginx', {});
    assert.deepEqual(nginx.argv, ['nginx', '-g', 'daemon off;']);
    assert.match(nginx.env.PATH!, /\/nginx:\/usr\/bin:\/bin$/);
    assert.equal(nginx.env.KIP_DOCUMENT_ROOT, '/usr/share/nginx/html');
    // The image's ENV is under the container's own.
    const own = imageRunEnv(
      resolveImage('nginx'),
      { PATH: '/bin', KIP_DOCUMENT_ROOT: '/srv' },
      { name: 'c', env: [{ name: 'PATH', value: '/bin' }] } as Container,
      {},
    );
    assert.deepEqual([own.PATH, own.KIP_DOCUMENT_ROOT], ['/bin', '/srv']);
    // args replace CMD; the ENTRYPOINT stays.
    assert.deepEqual(argvOf('registry.k8s.io/e2e-test-images/agnhost:2.40', { args: ['netexec', '--http-port=8080'] }).argv.slice(1), [
      'netexec',
      '--http-port=8080',
    ]);
    // An absolute path of the image that the host lacks is the image's stand-in.
    const agnhost = argvOf('registry.k8s.io/e2e-test-images/agnhost:2.40', { args: ['liveness'] }).argv[0]!;
    assert.equal(path.basename(agnhost), 'agnhost');
    assert.ok(fs.statSync(agnhost).mode & 0o111, 'the stand-in is executable');
    assert.equal(path.basename(argvOf('registry.k8s.io/liveness', { args: ['/server'] }).argv[0]!), 'server');
    // A path the host has is left alone.
    assert.equal(argvOf('busybox', { command: ['/bin/sh', '-c', 'true'] }).argv[0], '/bin/sh');
    // Each declared port's host port is there by its number.
    const ports = argvOf('nginx', { ports: [{ containerPort: 80 }, { containerPort: 8443, name: 'tls' }] } as Partial<Container>, {
      'c/80': 41000,
      'c/8443': 41001,
    });
    assert.deepEqual([ports.env.KIP_HOST_PORT_80, ports.env.KIP_HOST_PORT_8443], ['41000', '41001']);
  });

  it("runs the stand-ins: busybox wget and the nginx binary answer as the image's would", function () {
    // Real processes, one of them a perl computing 1,001 digits of pi: seconds on a loaded machine.
    this.timeout(60_000);
    const box = argvOf('busybox', { command: ['sh', '-c', 'command -v wget; wget 2>&1; busybox echo via-busybox; nginx -v 2>&1 || true'] });
    const out = execFileSync('/bin/sh', box.argv.slice(1), { env: box.env, encoding: 'utf8' });
    const lines = out.trim().split('\n');
    assert.match(lines[0]!, /\/busybox\/wget$/);
    assert.match(out, /wget: missing URL/);
    assert.match(out, /via-busybox/);
    const nginx = argvOf('nginx', { command: ['nginx', '-v'] });
    const v = execFileSync('/bin/sh', ['-c', 'exec "$@" 2>&1', 'sh', ...nginx.argv], { env: nginx.env, encoding: 'utf8' });
    assert.match(v, /^nginx version: nginx\//);
    // The interpreter images run the host's interpreters under the images' names.
    const py = argvOf('python:3.12', { command: ['python', '-c', 'import sys; print(sys.version_info[0])'] });
    assert.equal(execFileSync(py.argv[0]!, py.argv.slice(1), { env: py.env, encoding: 'utf8' }).trim(), '3');
    // Kubernetes' example Job asks bpi(2000), which the host's perl fails on above 1,000 digits
    // without kip's fix (interpreters.ts); 1,001 digits take the same path at a fifth of the time.
    const pi = argvOf('perl:5.34.0', { command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(1001)'] });
    const digits = execFileSync('/bin/sh', ['-c', 'exec "$@"', 'sh', ...pi.argv], { env: pi.env, encoding: 'utf8' }).trim();
    assert.equal(digits.length, 1002);
    assert.ok(digits.startsWith('3.14159265358979323846'), digits.slice(0, 40));
    assert.ok(digits.endsWith('92164201989'), digits.slice(-11));
    const plain = argvOf('perl', { command: ['perl', '-e', '$n = 2**0.5; print $n, " ", scalar(@ARGV)', 'a', 'b'] });
    assert.equal(
      execFileSync('/bin/sh', ['-c', 'exec "$@"', 'sh', ...plain.argv], { env: plain.env, encoding: 'utf8' }),
      '1.4142135623731 2',
      'no bignum, and no strict, unless asked for',
    );
    const node = argvOf('node:20', { args: ['-e', 'console.log(6 * 7)'] });
    assert.equal(execFileSync('/bin/sh', ['-c', 'exec "$@"', 'sh', ...node.argv], { env: node.env, encoding: 'utf8' }).trim(), '42');
  });

  it('lists every family by name', function () {
    const names = builtinImageNames();
    for (const n of [
      'nginx',
      'httpd',
      'caddy',
      'busybox',
      'alpine',
      'debian',
      'ubuntu',
      'agnhost',
      'liveness',
      'goproxy',
      'polinux/stress',
      'perl',
      'python',
      'node',
      'ruby',
      'http-echo',
      'pause',
    ])
      assert.ok(names.includes(n), n);
  });
});
