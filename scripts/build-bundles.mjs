#!/usr/bin/env node
// Bundles each program kip starts as a process (the agent, the control plane, the built-in images
// and the kip CLI) into one ESM file, after `tsc -b` has compiled the per-file output
// that tests import. Loading one file instead of ~150 modules is most of an agent's start: the ESM
// loader resolves, reads and links each module on its own, and 100 agents on 2 cores pay that 100
// times. Run by `npm run build`; takes well under a second.
//
// The bundles are built from tsc's output, not from the .ts sources, so that they run exactly the
// code tsc emitted; esbuild follows tsc's source maps, so the bundles' maps point at the .ts files.
// Each bundle lives in <package>/dist/bundle/, the agent's image bundles beside its own, where
// agent/src/images/programs.ts's programArgv() finds them. Whatever a bundle resolves at run time
// (msgpackr's native extension, yaml loaded on first use) resolves from there, inside the checkout.

import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../..');
const at = (p) => path.join(ROOT, p);

const OUTDIRS = ['agent/dist/bundle', 'controlplane/dist/bundle', 'scripts/dist/bundle'];
// Each build starts from empty directories: code cached for an earlier build is never used again
// (agent/src/bundle-loader.ts names the cache by the bundle's hash), and a file an earlier build
// made under another name would linger.
for (const d of OUTDIRS) rmSync(at(d), { recursive: true, force: true });
if (process.argv.includes('--clean')) process.exit(0);

// The image programs the agent starts as `node <file>`; programs.ts is the one list of them
// (registry.js re-exports it).
const { PROGRAM_IMAGES } = await import(pathToFileURL(at('agent/dist/images/registry.js')).href);

// How the agent's CommonJS bundle takes Node's built-in modules (every agent pays for them, a
// hundred times over):
// - Once each. esbuild turns each file's `import fs from 'node:fs'` into a copy of the module made
//   of getters (its __toESM), one copy per importing file: 63 copies and 2,800 getters with their
//   closures, about 0.5 MiB of every agent's heap. Served through one module of the bundle, each
//   built-in is copied once. A plain require() copies nothing and is left alone.
// - The rare ones on first use. tls, https and zlib are for TLS links and compressed WebSocket
//   frames, which a default cluster has neither of; loading them (ws requires all three when it
//   loads) cost each agent about 1 MiB. Each is a stand-in that loads the module when a property
//   of it is first read. An import of one takes its default export (`import tls from 'node:tls'`):
//   a named import of it has nothing to bind to, and fails the build (logOverride below).
const LAZY_BUILTINS = new Set(['tls', 'https', 'zlib']);
const lazyModule = (id) => `(() => {
  let m;
  const load = () => (m ??= require(${id}));
  return new Proxy({}, {
    get: (_, k) => load()[k],
    has: (_, k) => k in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_, k) => {
      const d = Reflect.getOwnPropertyDescriptor(load(), k);
      return d && { ...d, configurable: true };
    },
  });
})()`;
const builtinsOncePlugin = {
  name: 'builtins-once',
  setup(b) {
    const ns = 'builtin';
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (a) => {
      const name = a.path.replace(/^node:/, '');
      if (a.namespace === ns || !isBuiltin(name)) return undefined;
      const lazy = LAZY_BUILTINS.has(name);
      const cjs = a.kind === 'require-call';
      if (cjs && !lazy) return undefined;
      // A require needs module.exports, an import a default export: two modules, by two names.
      return { path: cjs ? `${name} (require)` : name, namespace: ns, pluginData: { name, lazy, cjs } };
    });
    b.onLoad({ filter: /.*/, namespace: ns }, (a) => {
      const { name, lazy, cjs } = a.pluginData;
      const id = JSON.stringify(`node:${name}`);
      if (!lazy) return { contents: `const m = require(${id});\nexport default m;\nexport * from ${id};`, loader: 'js' };
      return { contents: cjs ? `module.exports = ${lazyModule(id)};` : `export default ${lazyModule(id)};`, loader: 'js' };
    });
  },
};

// The agent itself, agent.cjs, bundled as CommonJS for V8's code cache (agent/src/bundle-loader.ts
// says why). It goes without msgpackr's native extension: loading it (node-gyp-build looking for
// the right binary, then dlopen) cost each agent about 30 ms of cpu at start, a seventh of its
// start, for faster decoding of long strings, which an agent's small frames hardly have.
const agentCjs = {
  outdir: OUTDIRS[0],
  entries: { agent: 'agent/dist/main.js' },
  format: 'cjs',
  define: { 'process.env.MSGPACKR_NATIVE_ACCELERATION_DISABLED': '"true"' },
  plugins: [builtinsOncePlugin],
  logOverride: { 'import-is-undefined': 'error' },
};

/**
 * The built-in modules a bundle requires by name, less the lazy ones: what the agent's loader
 * loads before it changes V8's flags (agent/src/bundle-loader.ts says why).
 */
function requiredBuiltins(file) {
  const names = new Set();
  for (const m of readFileSync(file, 'utf8').matchAll(/\brequire\("(?:node:)?([a-z_/]+)"\)/g))
    if (isBuiltin(m[1]) && !LAZY_BUILTINS.has(m[1])) names.add(`node:${m[1]}`);
  return [...names].sort();
}

const groups = [
  // The agent's entry, main.cjs: a small loader that runs agent.cjs from V8's code cache, built
  // after it and given its built-in modules. CommonJS as well: Node runs an ES module entry through
  // its ES module loader, which cost each agent about 5 ms more cpu than a CommonJS entry.
  {
    outdir: OUTDIRS[0],
    entries: { main: 'agent/dist/bundle-loader.js' },
    format: 'cjs',
    define: () => ({ AGENT_BUNDLE_BUILTINS: JSON.stringify(requiredBuiltins(at('agent/dist/bundle/agent.cjs'))) }),
  },
  // The images' programs, which the agent starts as `node <file>`.
  { outdir: OUTDIRS[0], entries: Object.fromEntries(PROGRAM_IMAGES.map((n) => [n, `agent/dist/images/${n}.js`])) },
  // The etcd store's worker thread (store/etcd.ts) is started from the file beside the bundle.
  { outdir: OUTDIRS[1], entries: { main: 'controlplane/dist/main.js', 'etcd-worker': 'controlplane/dist/store/etcd-worker.js' } },
  // The kip CLI starts on every command (0.27 s of cpu against 0.48 s as modules). The other
  // scripts start once per run, and some of their modules run themselves when they are the main
  // module (bench/network.ts, chaos/main.ts imports kip/main.ts): bundled together, each would
  // take the bundle for itself.
  { outdir: OUTDIRS[2], entries: { kip: 'scripts/dist/kip/main.js' } },
];

// Bundled CommonJS dependencies (ws, pidusage) call require() for Node's built-in modules, and
// msgpackr loads its optional native extension with require(): an ESM file has no require of its
// own, so the bundle makes one that resolves from where the bundle is, inside the checkout.
const banner = "import { createRequire as __kipCreateRequire } from 'node:module';\nconst require = __kipCreateRequire(import.meta.url);";
// A CommonJS bundle has require, and no import.meta: the code's import.meta.url (which finds the
// image bundles beside the agent's) becomes the bundle file's own URL.
const cjs = {
  banner: { js: "const __kipImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__kipImportMetaUrl' },
  outExtension: { '.js': '.cjs' },
};

const buildGroup = (g) => {
  const define = typeof g.define === 'function' ? g.define() : g.define;
  return build({
    entryPoints: Object.fromEntries(Object.entries(g.entries).map(([name, file]) => [name, at(file)])),
    outdir: at(g.outdir),
    bundle: true,
    platform: 'node',
    format: g.format ?? 'esm',
    target: 'node20',
    ...(g.format === 'cjs' ? { ...cjs, define: { ...cjs.define, ...define } } : { banner: { js: banner }, define }),
    // Native addons stay outside, loaded from node_modules if they are there: msgpackr-extract
    // speeds up msgpackr and is optional, as are ws's bufferutil and utf-8-validate.
    // etcd3 stays outside too: its gRPC loads rpc.proto from beside its own files at run time.
    external: ['msgpackr-extract', 'bufferutil', 'utf-8-validate', 'better-sqlite3', 'etcd3'],
    sourcemap: 'linked',
    // The maps point at the .ts files in the checkout; copying their text into the maps would
    // only make them bigger to parse for a stack trace.
    sourcesContent: false,
    logLevel: 'warning',
    plugins: g.plugins ?? [],
    logOverride: g.logOverride,
  });
};
await buildGroup(agentCjs);
await Promise.all(groups.map(buildGroup));

// A bundle must stay ASCII. One character beyond it (a "µ" in a regular expression, which esbuild
// cannot escape there) made V8 hold the agent's whole source as a two-byte string, after Node had
// decoded it as UTF-8: twice the memory for the source, in every agent, and a slower load.
// Write such a character as \uXXXX in the source.
// The agent's bundle must keep taking built-ins once each (builtinsOncePlugin): a copy per file
// would mean the plugin no longer sees them, and every agent grows again.
if (/__toESM\(require\("node:/.test(readFileSync(at('agent/dist/bundle/agent.cjs'), 'utf8')))
  process.stderr.write('build-bundles: warning: agent/dist/bundle/agent.cjs copies a built-in module per importing file; see builtinsOncePlugin\n');

for (const dir of OUTDIRS) {
  for (const f of readdirSync(at(dir)).filter((n) => n.endsWith('.js') || n.endsWith('.cjs'))) {
    const lines = readFileSync(path.join(at(dir), f), 'utf8').split('\n');
    const i = lines.findIndex((l) => /[\u0080-\uffff]/.test(l));
    if (i >= 0)
      process.stderr.write(
        `build-bundles: warning: ${dir}/${f}:${i + 1} is not ASCII, so the whole bundle loads as a two-byte string; write the character as \\uXXXX in the source\n`,
      );
  }
}
