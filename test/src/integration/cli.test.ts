// The kip CLI against a real control-plane process (no agents): every command runs through
// `main` in-process, with captured output, against the API the launcher would start.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import { bufferIO, type BufferedIO } from '@kip/scripts';
import { main } from '@kip/scripts';
import { TestCluster } from '../helpers/cluster.js';
import { eventually, isAlive } from '../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CONTROL_PLANE = path.join(ROOT, 'controlplane', 'dist', 'main.js');
const TOKEN = 'cli-test-token';

interface Run {
  code: number;
  out: string;
  err: string;
}

const DEPLOYMENT = (replicas: number, labels = '{app: web}') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: ${labels}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: http-echo
        ports:
        - containerPort: 8080
        resources:
          requests: {cpu: 100m, memory: 64Mi}
`;

const POD = (name: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {role: bare}
spec:
${extra}  containers:
  - name: main
    image: pause
`;

const NODE = `apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels: {kubernetes.io/hostname: node-1}
spec: {}
status:
  capacity: {cpu: "4", memory: 8Gi, pods: "110"}
  allocatable: {cpu: "4", memory: 8Gi, pods: "110"}
  addresses:
  - {type: InternalIP, address: 127.0.0.1}
  nodeInfo: {operatingSystem: linux, architecture: amd64, kubeletVersion: v0.1.0, agentPid: 31337}
`;

describe('kip CLI against a control plane', function () {
  this.timeout(120_000);
  let cp: ChildProcess;
  let server = '';
  let dir = '';

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kip-cli-it-'));
    await mkdir(path.join(dir, 'manifests'));
    await writeFile(path.join(dir, 'web.yaml'), DEPLOYMENT(2));
    await writeFile(path.join(dir, 'node.yaml'), NODE);
    // Pods stay on the unreachable test node, so that drain, not the node controller, removes them.
    cp = spawn(process.execPath, [CONTROL_PLANE, '--port', '0', '--data-dir', path.join(dir, 'data'), '--api-token', TOKEN, '--pod-eviction-timeout', '600s'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    server = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`control plane did not start:\n${output}`)), 30_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      cp.stdout!.on('data', onData);
      cp.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      cp.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`control plane exited with ${code}:\n${output}`));
      });
    });
  });

  after(async () => {
    if (cp?.pid !== undefined && cp.exitCode === null) {
      const exited = new Promise<void>((resolve) => cp.once('exit', () => resolve()));
      cp.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
      if (cp.exitCode === null && cp.signalCode === null) cp.kill('SIGKILL');
      await eventually('the control plane to be gone', () => !isAlive(cp.pid!), { timeoutMs: 15_000 });
      assert.equal(isAlive(cp.pid!), false);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function io(opts: { stdin?: string; signal?: AbortSignal; token?: boolean } = {}): BufferedIO {
    return bufferIO({
      env: { KIP_SERVER: server, ...(opts.token === false ? {} : { KIP_TOKEN: TOKEN }) },
      cwd: dir,
      ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  async function kip(argv: string[], opts: { stdin?: string; token?: boolean } = {}): Promise<Run> {
    const i = io(opts);
    const code = await main(argv, i);
    return { code, out: i.stdout.text(), err: i.stderr.text() };
  }

  async function ok(argv: string[], opts: { stdin?: string } = {}): Promise<string> {
    const r = await kip(argv, opts);
    assert.equal(r.code, 0, `kip ${argv.join(' ')} failed:\n${r.err}`);
    return r.out;
  }

  async function json<T = Record<string, any>>(argv: string[]): Promise<T> {
    return JSON.parse(await ok([...argv, '-o', 'json'])) as T;
  }

  it('applies a manifest: created, then unchanged, then configured', async () => {
    assert.equal(await ok(['apply', '-f', 'web.yaml']), 'deployment.apps/web created\n');
    assert.equal(await ok(['apply', '-f', 'web.yaml']), 'deployment.apps/web unchanged\n');
    assert.equal(await ok(['apply', '-f', '-'], { stdin: DEPLOYMENT(2, '{app: web, tier: front}') }), 'deployment.apps/web configured\n');
    const d = await json(['get', 'deployment', 'web']);
    assert.equal(d.kind, 'Deployment');
    assert.deepEqual(d.metadata.labels, { app: 'web', tier: 'front' });
    // The label the last apply set and this manifest drops goes away again.
    assert.equal(await ok(['apply', '-f', 'web.yaml']), 'deployment.apps/web configured\n');
    assert.deepEqual((await json(['get', 'deployment', 'web'])).metadata.labels, { app: 'web' });
  });

  it('applies a directory of manifests, in the namespace given with -n', async () => {
    await writeFile(path.join(dir, 'manifests', 'a.yaml'), `${POD('dir-a')}---\n${POD('dir-b')}`);
    await writeFile(path.join(dir, 'manifests', 'b.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [parseYaml(POD('dir-c'))] }));
    assert.equal(await ok(['create', 'namespace', 'team-a']), 'namespace/team-a created\n');
    const out = await ok(['apply', '-f', 'manifests', '-n', 'team-a']);
    assert.equal(out, 'pod/dir-a created\npod/dir-b created\npod/dir-c created\n');
    const names = await ok(['get', 'pods', '-n', 'team-a', '-o', 'name']);
    assert.equal(names, 'pod/dir-a\npod/dir-b\npod/dir-c\n');
  });

  it('lists with the kubectl table, wide columns, labels and all namespaces', async () => {
    const pods = await eventually('the deployment pods', async () => {
      const list = await json<{ items: unknown[] }>(['get', 'pods', '-l', 'app=web']);
      return list.items.length === 2 ? list : undefined;
    });
    assert.equal(pods.items.length, 2);
    const table = await ok(['get', 'deploy']);
    assert.match(table, /^NAME +READY +UP-TO-DATE +AVAILABLE +AGE\nweb +0\/2 +\d +0 +\d+s\n$/);
    const wide = await ok(['get', 'pods', '-o', 'wide', '-l', 'app=web', '--show-labels']);
    assert.match(wide.split('\n')[0]!, /^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES +LABELS$/);
    assert.match(wide.split('\n')[1]!, /^web-\S+ +0\/1 +Pending +0 +\d+s +<none> +<none> +<none> +<none> +app=web,pod-template-hash=\S+$/);
    const all = await ok(['get', 'pods', '-A']);
    assert.match(all, /^NAMESPACE +NAME +READY/);
    assert.match(all, /^team-a +dir-a +0\/1 +Pending/m);
    assert.match(all, /^default +web-\S+ +0\/1 +Pending/m);
  });

  it('lists several kinds at once, each table with kind-prefixed names', async () => {
    const out = await ok(['get', 'deploy,rs']);
    const [deploys, rss] = out.split('\n\n');
    assert.match(deploys!, /^NAME +READY +UP-TO-DATE/);
    assert.match(deploys!, /^deployment\.apps\/web /m);
    assert.match(rss!, /^NAME +DESIRED +CURRENT +READY +AGE/);
    assert.match(rss!, /^replicaset\.apps\/web-\S+ +2 +2 +0 /m);
  });

  it('prints JSON (one object, or a List), YAML and names', async () => {
    const one = await json(['get', 'deploy/web']);
    assert.equal(one.metadata.name, 'web');
    const list = await json(['get', 'pods', '-l', 'app=web']);
    assert.deepEqual([list.apiVersion, list.kind, list.metadata], ['v1', 'List', {}]);
    assert.ok(list.items.every((p: { kind: string }) => p.kind === 'Pod'));
    const yaml = parseYaml(await ok(['get', 'deployment', 'web', '-o', 'yaml']));
    assert.equal(yaml.spec.replicas, 2);
    const byField = await ok(['get', 'pods', '--field-selector', `metadata.name=${list.items[0].metadata.name}`, '-o', 'name']);
    assert.equal(byField, `pod/${list.items[0].metadata.name}\n`);
    const names = list.items.map((p: { metadata: { name: string } }) => p.metadata.name);
    assert.equal(
      await ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}']),
      names.map((n: string) => `${n}\n`).join(''),
    );
    assert.match(await ok(['get', 'pods', '-l', 'app=web', '-o', 'custom-columns=POD:.metadata.name,NODE:.spec.nodeName']), /^POD +NODE\nweb-\S+ +<none>\n/);
  });

  it('reports objects that are not there as kubectl does, and still prints the others', async () => {
    const missing = await kip(['get', 'pod', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.err, 'Error from server (NotFound): pods "nope" not found\n');
    const mixed = await kip(['get', 'deploy', 'web', 'nope']);
    assert.equal(mixed.code, 1);
    assert.match(mixed.out, /^web /m);
    assert.match(mixed.err, /deployments(\.apps)? "nope" not found/);
    const empty = await kip(['get', 'pods', '-n', 'nobody-here']);
    assert.deepEqual([empty.code, empty.out, empty.err], [0, '', 'No resources found in nobody-here namespace.\n']);
  });

  it('scales through the scale subresource, and the replica set follows', async () => {
    assert.equal(await ok(['scale', 'deployment/web', '--replicas=3']), 'deployment.apps/web scaled\n');
    await eventually('three pods', async () => (await json<{ items: unknown[] }>(['get', 'pods', '-l', 'app=web'])).items.length === 3);
    const pre = await kip(['scale', 'deploy', 'web', '--current-replicas=1', '--replicas=1']);
    assert.equal(pre.code, 1);
    assert.equal(pre.err, 'error: Expected replicas to be 1, was 3\n');
    // The manifest says 2 replicas, so applying it again takes the deployment back to 2.
    assert.equal(await ok(['apply', '-f', 'web.yaml']), 'deployment.apps/web configured\n');
    assert.equal((await json(['get', 'deploy', 'web'])).spec.replicas, 2);
  });

  it('describes a deployment with its replica sets and events', async () => {
    // The previous test scaled to 3 and back to 2: wait until the replica set has followed.
    const out = await eventually('scaling events, and the replica set back at 2', async () => {
      const text = await ok(['describe', 'deployment', 'web']);
      return /ScalingReplicaSet/.test(text) && /\(\d\/2 replicas created\)/.test(text) ? text : undefined;
    });
    assert.match(out, /^Name: +web$/m);
    assert.match(out, /^Replicas: +2 desired \| \d+ updated \| \d+ total \| \d+ available \| \d+ unavailable$/m);
    assert.match(out, /^NewReplicaSet: +web-\S+ \(\d\/2 replicas created\)$/m);
    assert.match(out, /^Events:\n {2}Type +Reason +Age +From +Message\n/m);
    const pods = await ok(['describe', 'pods', 'web']);
    assert.match(pods, /^Controlled By: +ReplicaSet\/web-/m);
    assert.match(pods, /FailedScheduling/);
  });

  it('lists events sorted by time with the involved object', async () => {
    const out = await ok(['get', 'events']);
    assert.match(out, /^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE$/m);
    assert.match(out, /Normal +ScalingReplicaSet +deployment\/web +Scaled up replica set web-/);
  });

  it("refuses to create what exists, in kubectl's words", async () => {
    const r = await kip(['create', '-f', 'web.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^Error from server \(AlreadyExists\): error when creating "web\.yaml": deployments(\.apps)? "web" already exists\n$/);
  });

  it("names the file and field of an invalid manifest, and shows the server's refusal when not checked locally", async () => {
    const bad = DEPLOYMENT(2).replace('name: web\n', 'name: bad\n').replace('replicas: 2', 'replicas: -1');
    const local = await kip(['apply', '-f', '-'], { stdin: bad });
    assert.equal(local.code, 1);
    assert.match(local.err, /^error: error validating "STDIN": Deployment "bad" is invalid: spec\.replicas: /);
    const remote = await kip(['apply', '-f', '-', '--validate=false'], { stdin: bad });
    assert.equal(remote.code, 1);
    assert.match(remote.err, /^error when creating "STDIN": The Deployment "bad" is invalid: spec\.replicas: /);
  });

  it('needs the token to write and to read', async () => {
    const w = await kip(['create', '-f', '-'], { stdin: POD('no-token'), token: false });
    assert.equal(w.code, 1);
    assert.equal(w.err, 'error: You must be logged in to the server (Unauthorized)\n');
    const r = await kip(['get', 'deploy', 'web', '-o', 'name'], { token: false });
    assert.equal(r.code, 1);
    assert.equal(r.err, 'error: You must be logged in to the server (Unauthorized)\n');
  });

  it('finds the server and the token in the kubeconfig the control plane wrote', async () => {
    const r = await main(['get', 'deploy', 'web', '-o', 'name', '--kubeconfig', path.join(dir, 'data', 'kubeconfig')], bufferIO({ env: {}, cwd: dir }));
    assert.equal(r, 0);
    const viaEnv = bufferIO({ env: { KUBECONFIG: path.join(dir, 'data', 'kubeconfig') }, cwd: dir });
    assert.equal(await main(['get', 'deploy', 'web', '-o', 'name'], viaEnv), 0);
    assert.equal(viaEnv.stdout.text(), 'deployment.apps/web\n');
  });

  it('watches: lists, then prints each change until stopped', async () => {
    const stop = new AbortController();
    const w = io({ signal: stop.signal });
    const running = main(['get', 'pods', '-w', '-l', 'role=watched'], w);
    try {
      // Created before the list, it is listed; after, it comes as a watch event: either way it shows.
      await ok(['create', '-f', '-'], { stdin: POD('watched-1').replace('role: bare', 'role: watched') });
      await w.stdout.until((t) => /watched-1 +0\/1 +Pending/.test(t), 20_000);
      assert.match(w.stdout.text(), /^NAME +READY +STATUS +RESTARTS +AGE\n/);
      await ok(['delete', 'pod', 'watched-1']);
      await w.stdout.until((t) => t.split('\n').filter((l) => l.startsWith('watched-1')).length >= 2, 20_000);
    } finally {
      stop.abort();
    }
    assert.equal(await running, 0);
  });

  it('cordons, shows and uncordons a node, with the agent pid in wide output and describe', async () => {
    assert.equal(await ok(['create', '-f', 'node.yaml']), 'node/node-1 created\n');
    assert.match(await ok(['get', 'nodes', '-o', 'wide']), /^node-1 +\S+ +<none> +\S+ +v0\.1\.0 +127\.0\.0\.1 +.* 31337$/m);
    assert.equal(await ok(['cordon', 'node-1']), 'node/node-1 cordoned\n');
    assert.equal(await ok(['cordon', 'node/node-1']), 'node/node-1 already cordoned\n');
    assert.match(await ok(['get', 'no']), /^node-1 +\w+,SchedulingDisabled +/m);
    assert.match(await ok(['describe', 'node', 'node-1']), /^ {2}Agent PID: +31337$/m);
    assert.equal(await ok(['uncordon', 'node-1']), 'node/node-1 uncordoned\n');
    assert.doesNotMatch(await ok(['get', 'node', 'node-1']), /SchedulingDisabled/);
  });

  it('drains a node: refuses pods without a controller, then evicts them with --force', async () => {
    await ok(['create', '-f', '-'], { stdin: POD('on-node-1', '  nodeName: node-1\n') });
    const refused = await kip(['drain', 'node-1']);
    assert.equal(refused.code, 1);
    assert.equal(refused.out, 'node/node-1 cordoned\n');
    assert.match(
      refused.err,
      /^error: unable to drain node "node-1" due to error: cannot delete Pods that declare no controller \(use --force to override\): default\/on-node-1/,
    );
    const drained = await kip(['drain', 'node-1', '--force', '--grace-period=0', '--timeout=30s']);
    assert.equal(drained.code, 0, drained.err);
    assert.equal(drained.out, 'node/node-1 already cordoned\nevicting pod default/on-node-1\npod/on-node-1 evicted\nnode/node-1 drained\n');
    assert.match(drained.err, /Warning: deleting Pods that declare no controller: default\/on-node-1/);
    assert.equal((await kip(['get', 'pod', 'on-node-1'])).code, 1);
  });

  it('explains why an unscheduled pod has no logs', async () => {
    const r = await kip(['logs', 'dir-a', '-n', 'team-a']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^Error from server \(\w+\): /);
    assert.doesNotMatch(r.err, /\n\s+at /);
  });

  it('deletes by name, by label and from a manifest, and waits until they are gone', async () => {
    assert.equal(await ok(['delete', 'pod', 'dir-a', '-n', 'team-a']), 'pod "dir-a" deleted\n');
    const byLabel = await ok(['delete', 'pods', '-l', 'role=bare', '-n', 'team-a']);
    assert.equal(byLabel, 'pod "dir-b" deleted\npod "dir-c" deleted\n');
    assert.equal(await ok(['get', 'pods', '-n', 'team-a', '-o', 'name']), '');
    assert.equal(await ok(['delete', '-f', 'web.yaml']), 'deployment.apps "web" deleted\n');
    const gone = await kip(['get', 'deploy', 'web']);
    assert.match(gone.err, /^Error from server \(NotFound\): deployments(\.apps)? "web" not found\n$/);
    const again = await kip(['delete', 'deploy', 'web']);
    assert.equal(again.code, 1);
    assert.equal((await kip(['delete', 'deploy', 'web', '--ignore-not-found'])).code, 0);
  });

  it('tells where the API is, and the server version', async () => {
    assert.match(await ok(['cluster-info']), new RegExp(`^kip control plane is running at ${server.replace(/\./g, '\\.')}\\nNodes: 1 \\(\\d Ready\\)\\n`));
    assert.match(await ok(['version']), /^Client Version: v\S+\nServer Version: v\S+\n$/);
  });
});

describe('kip CLI against a cluster with agents', function () {
  this.timeout(180_000);
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start({ nodes: 2 });
  });

  after(async () => {
    await cluster?.stop();
  });

  function io(signal?: AbortSignal): BufferedIO {
    return bufferIO({ env: { KUBECONFIG: cluster.kubeconfig }, ...(signal ? { signal } : {}) });
  }

  async function kip(argv: string[], stdin?: string): Promise<Run> {
    const i = bufferIO({ env: { KUBECONFIG: cluster.kubeconfig }, ...(stdin !== undefined ? { stdin } : {}) });
    const code = await main(argv, i);
    return { code, out: i.stdout.text(), err: i.stderr.text() };
  }

  const TICKER = `apiVersion: v1
kind: Pod
metadata:
  name: ticker
  labels: {app: ticker}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: main
    command: ["sh", "-c", "echo first; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"]
  - name: side
    image: pause
`;

  it('shows each node with the pid of its agent process', async () => {
    const r = await kip(['get', 'nodes', '-o', 'wide']);
    assert.equal(r.code, 0, r.err);
    for (const name of ['node-1', 'node-2']) assert.match(r.out, new RegExp(`^${name} +Ready +.* ${cluster.agentPid(name)}$`, 'm'));
  });

  it('prints, tails and follows a container log, and asks which container when there are several', async () => {
    assert.equal((await kip(['apply', '-f', '-'], TICKER)).code, 0);
    await eventually('the ticker to run', async () => {
      const r = await kip(['get', 'pod', 'ticker']);
      return /ticker +2\/2 +Running/.test(r.out);
    });
    const which = await kip(['logs', 'ticker']);
    assert.equal(which.code, 1);
    assert.equal(which.err, 'error: a container name must be specified for pod ticker, choose one of: [main side]\n');
    const all = await eventually('ticks in the log', async () => {
      const r = await kip(['logs', 'ticker', '-c', 'main']);
      return /^first\ntick 1\ntick 2\n/.test(r.out) ? r.out : undefined;
    });
    assert.match(all, /^first\n/);
    const tail = await kip(['logs', 'pod/ticker', 'main', '--tail=1']);
    assert.equal(tail.code, 0, tail.err);
    assert.match(tail.out, /^tick \d+\n$/);

    const stop = new AbortController();
    const followed = io(stop.signal);
    const running = main(['logs', '-f', 'ticker', '-c', 'main', '--tail=1'], followed);
    try {
      // Lines that did not exist when the command started prove it is following.
      const start = Number(/tick (\d+)/.exec(tail.out)![1]);
      await followed.stdout.until((t) => [...t.matchAll(/tick (\d+)/g)].some((m) => Number(m[1]) > start + 3), 20_000);
    } finally {
      stop.abort();
    }
    assert.equal(await running, 0);
  });

  it('describes a running pod with its node, state and events', async () => {
    const r = await kip(['describe', 'pod', 'ticker']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Node: +node-\d\/\S+$/m);
    assert.match(r.out, /^ {2}main:\n(?: {4}.*\n)*? {4}State: +Running$/m);
    assert.match(r.out, /^Events:\n {2}Type +Reason/m);
    assert.match(r.out, /Scheduled +\S+ +default-scheduler +Successfully assigned default\/ticker to node-\d/);
  });

  it('shows cpu and memory use of nodes and pods', async () => {
    const nodes = await eventually('node metrics', async () => {
      const r = await kip(['top', 'nodes']);
      return r.code === 0 && /^node-1 +\d+m +\d+% +\d+Mi +\d+%$/m.test(r.out) && /^node-2 +\d+m/m.test(r.out) ? r.out : undefined;
    });
    assert.match(nodes, /^NAME +CPU\(cores\) +CPU% +MEMORY\(bytes\) +MEMORY%$/m);
    const pods = await eventually('pod metrics', async () => {
      const r = await kip(['top', 'pods', '--containers']);
      return r.code === 0 && /^ticker +main +\d+m +\d+Mi$/m.test(r.out) ? r.out : undefined;
    });
    assert.match(pods, /^POD +NAME +CPU\(cores\) +MEMORY\(bytes\)$/m);
  });

  it('lists and describes a service and its endpoints', async () => {
    const svc =
      'apiVersion: v1\nkind: Service\nmetadata: {name: ticker}\nspec:\n  selector: {app: ticker}\n  ports:\n  - {name: http, port: 80, targetPort: 8080}\n';
    assert.equal((await kip(['apply', '-f', '-'], svc)).out, 'service/ticker created\n');
    assert.match(
      (await kip(['get', 'svc'])).out,
      /^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE\nticker +ClusterIP +10\.96\.\d+\.\d+ +<none> +80\/TCP +\d+s\n$/,
    );
    await eventually('the endpoints of the service', async () => /^ticker +10\.244\.\d+\.\d+:8080 +\d+s$/m.test((await kip(['get', 'ep', 'ticker'])).out));
    const d = await kip(['describe', 'service', 'ticker']);
    assert.match(d.out, /^Port: +http +80\/TCP\nTargetPort: +8080\/TCP\nEndpoints: +10\.244\.\d+\.\d+:8080$/m);
    assert.equal((await kip(['delete', 'svc', 'ticker'])).out, 'service "ticker" deleted\n');
  });

  it('deletes a running pod gracefully and waits until its node has stopped it', async () => {
    const r = await kip(['delete', 'pod', 'ticker']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'pod "ticker" deleted\n');
    const after = await kip(['get', 'pod', 'ticker']);
    assert.equal(after.err, 'Error from server (NotFound): pods "ticker" not found\n');
  });
});
