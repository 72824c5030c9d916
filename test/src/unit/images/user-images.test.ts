// Images users add in the agent's --images file: the file's grammar and its errors (naming the
// file and the field), which entry a reference picks, and that a change to the file is seen at
// the next pull without restarting the agent.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configureImages, ImagePullError, parseUserImages, resolveImage, UserImagesError, userImagesProblem } from '@kip/agent';

describe('images: user images', function () {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kip-user-images-'));
  });
  after(() => {
    configureImages({});
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads entries with entrypoint, cmd and env, under images: or at the top', function () {
    const entries = parseUserImages(
      'images:\n  myapp:1.0:\n    entrypoint: [/opt/app]\n    cmd: [--port, 8080]\n    env: {MODE: demo, N: 3}\n  tools:\n    command: /usr/bin/env\n',
      'f.yaml',
    );
    assert.deepEqual(
      entries.map((e) => [e.key, e.repository, e.tag, e.entrypoint, e.cmd, e.env]),
      [
        ['myapp:1.0', 'myapp', '1.0', ['/opt/app'], ['--port', '8080'], { MODE: 'demo', N: '3' }],
        ['tools', 'tools', undefined, ['/usr/bin/env'], [], {}],
      ],
    );
    assert.equal(parseUserImages('{"registry.example.com/team/x": {"cmd": ["/bin/true"]}}', 'f.json')[0]!.repository, 'team/x');
    assert.deepEqual(parseUserImages('', 'f.yaml'), []);
  });

  it('names the file and the field that is wrong', function () {
    const cases: [string, RegExp][] = [
      ['images:\n  app: {}\n', /f\.yaml: images\["app"\]: entrypoint or cmd: Required value/],
      ['images:\n  app: {entrypoint: [a], colour: red}\n', /images\["app"\]\.colour: unknown field/],
      ['images:\n  app: {entrypoint: {a: 1}}\n', /images\["app"\]\.entrypoint: must be a list of strings/],
      ['images:\n  app: {cmd: [a], env: {"1x": y}}\n', /images\["app"\]\.env\.1x: not a valid environment variable name/],
      ['images:\n  "a b": {cmd: [a]}\n', /images\["a b"\]: invalid reference format/],
      ['images:\n  app@sha256:ab: {cmd: [a]}\n', /a digest cannot be mapped/],
      ['[1, 2]\n', /must be a map of image names/],
      ['images: [\n', /f\.yaml: /],
    ];
    for (const [text, re] of cases)
      assert.throws(
        () => parseUserImages(text, 'f.yaml'),
        (e: unknown) => e instanceof UserImagesError && re.test(e.message),
        text,
      );
  });

  it('picks the entry for the tag, else the one for any tag, before the catalog, and sees changes', async function () {
    const file = path.join(dir, 'images.yaml');
    configureImages({ imagesFile: file, standInDir: path.join(dir, 'bin') });
    // No file yet: nothing of the user's, and no problem.
    assert.equal(userImagesProblem(), undefined);
    assert.throws(
      () => resolveImage('myapp:2.0'),
      (e: unknown) => e instanceof ImagePullError && e.message.includes(file),
    );
    fs.writeFileSync(file, 'images:\n  myapp:1.0: {cmd: [/bin/one]}\n  myapp: {cmd: [/bin/any], env: {A: b}}\n  nginx: {entrypoint: [/usr/sbin/nginx]}\n');
    assert.deepEqual(resolveImage('myapp:1.0').cmd, ['/bin/one']);
    assert.deepEqual(resolveImage('docker.io/library/myapp:2.0').cmd, ['/bin/any']);
    assert.deepEqual(resolveImage('myapp').env, { A: 'b' });
    assert.equal(resolveImage('myapp:1.0').imageID, 'kip://user/myapp:1.0');
    assert.deepEqual(resolveImage('nginx:1.27').entrypoint, ['/usr/sbin/nginx'], "the user's nginx wins");
    // A broken file is reported, its entries ignored, and the catalog still answers.
    await new Promise((r) => setTimeout(r, 20));
    fs.writeFileSync(file, 'images:\n  myapp: {}\n');
    assert.match(userImagesProblem() ?? '', /Required value/);
    assert.throws(
      () => resolveImage('myapp'),
      (e: unknown) => e instanceof ImagePullError && /cannot be read now: .*Required value/.test(e.message),
    );
    assert.equal(resolveImage('nginx').name, 'nginx');
    assert.ok(fs.existsSync(path.join(dir, 'bin', 'nginx', 'nginx')), 'stand-ins go where the agent says');
  });
});
