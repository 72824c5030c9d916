// The agent's bundle entry (agent/dist/bundle/main.cjs, built by scripts/build-bundles.mjs): runs
// agent.cjs, the agent bundled as one CommonJS file, from V8's code cache. Every agent compiled
// the same 700 KiB of JavaScript at its start, and a hundred agents on two cores did it a hundred
// times; with the cache V8 deserializes what the first agent compiled instead (the top level
// and every function it ran while joining). Node 20 has no compile cache for ES modules
// (module.enableCompileCache is Node 22), hence a CommonJS bundle run through vm.Script.
//
// The cache lives beside the bundle, named by a hash of the bundle's text: V8 itself checks only
// its length, and code cached for other text would be wrong code. It is written once, a few
// seconds after an agent has started (so that it holds what starting compiled), by whichever
// agent found none; wherever it cannot be written, agents compile as before.

import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

// An agent's JavaScript is only interpreted (--jitless: no TurboFan, no Sparkplug, no executable
// memory). Its own code is mostly waiting: the bytes it proxies move in Node's native stream code,
// and its busy moments (start, a burst of pods) run code once rather than in hot loops. Against
// the earlier setting (--no-opt: TurboFan off, Sparkplug on), V8's lite mode (--jitless and
// --optimize-for-size) measured, alternated on the same machine: agent RSS 51.2 -> 49.8 MiB with
// 100 nodes and 1,000 pods, an agent's start 126-143 -> 119-135 ms of CPU, idle CPU and
// pod-to-pod MB/s within the noise.
// --optimize-for-size was then dropped: it makes V8's memory reducer collect 8 s after start
// whatever the agent is doing, where it otherwise waits until allocation slows. 100 agents
// started and then given 1,000 pods at once made 200 memory-reducing full collections during the
// burst with it, 39 without. Alternated four times (1,000 pods on 100 nodes, right after Ready),
// the agents used 7.2-10.6 s of CPU for the burst instead of 9.1-13.2 s, and it took 7.2-10.3 s
// instead of 8.3-11.7 s. Idle RSS 10 s after Ready is the same (47.5 MiB); after the burst and a
// minute idle, 48.8 against 48.4 MiB.
// Set here, before the bundle is compiled, so that every way of starting an agent gets it, and
// the code cache is written and read under one flag set.
//
// Node's built-in modules are loaded first. Node compiles each from a code cache made when Node
// was built, and V8 rejects code cached under other flags: once the flags changed, every built-in
// the agent needs (http, net, child_process, ...) was compiled from its source, 16-20 ms of cpu
// per agent start. The build names them (scripts/build-bundles.mjs defines AGENT_BUNDLE_BUILTINS
// from the requires in agent.cjs); tsc's unbundled output has no list and loads them later.
declare const AGENT_BUNDLE_BUILTINS: readonly string[] | undefined;

const dir = path.dirname(fileURLToPath(import.meta.url));
const file = path.join(dir, 'agent.cjs');
const require = createRequire(file);

for (const m of typeof AGENT_BUNDLE_BUILTINS === 'undefined' ? [] : AGENT_BUNDLE_BUILTINS) require(m);
v8.setFlagsFromString('--jitless');

/** How long after its start an agent writes the cache: it has joined by then, and compiled what joining takes. */
const WRITE_AFTER_MS = 5_000;

function cacheFileFor(source: string): string {
  return path.join(dir, `agent.cjs.${createHash('sha256').update(source).digest('hex').slice(0, 16)}.cache`);
}

function readOrUndefined(f: string): Buffer | undefined {
  try {
    return readFileSync(f);
  } catch {
    return undefined;
  }
}

function runCached(): void {
  const source = readFileSync(file, 'utf8');
  const cacheFile = cacheFileFor(source);
  const cachedData = readOrUndefined(cacheFile);
  // The wrapper Node's own CommonJS loader puts around a module; a #! line is no JavaScript.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source.replace(/^#!/, '//')}\n})`;
  const script = new vm.Script(wrapped, { filename: file, ...(cachedData ? { cachedData } : {}) });
  if (cachedData === undefined || script.cachedDataRejected) {
    setTimeout(() => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // a read-only checkout: the next agent compiles, as every agent did before
      }
    }, WRITE_AFTER_MS).unref();
  }
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, file, dir);
}

// With source maps on (--verbose runs), Node's own loader runs the bundle: it maps stack traces
// of what it loads to the .ts files, and not those of a vm.Script.
if (process.sourceMapsEnabled) require(file);
else runCached();
