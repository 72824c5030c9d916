// The image programs: Node programs of kip's own, started as `node <file>.js`. They sit beside
// this file: agent/dist/images/<name>.js when the agent runs from tsc's per-file output, and
// agent/dist/bundle/<name>.js, each its own bundle, when it runs from its bundle
// (scripts/build-bundles.mjs bundles every name listed here).

import { fileURLToPath } from 'node:url';
import type { ProgramName } from './catalog/types.js';

export const PROGRAM_IMAGES: readonly ProgramName[] = [
  'http-echo',
  'crasher',
  'stress',
  'client',
  'tcp-echo',
  'static-http',
  'agnhost',
  'stress1',
  'wget',
  'sample-apps',
];

/** [node, the program's file, ...args]. */
/** The directory of the program images' files: agent/dist/images, or agent/dist/bundle when bundled. */
export function programDir(): string {
  return fileURLToPath(new URL('.', import.meta.url));
}

export function programArgv(name: ProgramName, ...args: string[]): string[] {
  return [process.execPath, fileURLToPath(new URL(`./${name}.js`, import.meta.url)), ...args];
}
