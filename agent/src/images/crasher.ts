// The crasher image: runs for a while, then exits with a chosen code, to exercise restart policies
// and CrashLoopBackOff (`--after 2s --code 1`).

import { flagsOrExit, formatMs } from './flags.js';

const flags = flagsOrExit('crasher', process.argv.slice(2), {
  after: { kind: 'duration', aliases: ['delay'] },
  code: { kind: 'int', aliases: ['exit-code'] },
  message: { kind: 'string' },
});

const afterMs = typeof flags.values.after === 'number' ? flags.values.after : 1000;
const code = typeof flags.values.code === 'number' ? flags.values.code : 1;
if (code < 0 || code > 255) {
  process.stderr.write(`crasher: invalid value "${code}" for flag -code: must be 0..255\n`);
  process.exit(2);
}
const pod = process.env.POD_NAME ? `${process.env.POD_NAMESPACE ?? 'default'}/${process.env.POD_NAME}` : 'unknown pod';
process.stdout.write(`crasher: started in ${pod}, exiting with code ${code} after ${formatMs(afterMs)}\n`);

setTimeout(() => {
  const msg = typeof flags.values.message === 'string' ? flags.values.message : `crasher: exiting with code ${code}`;
  (code === 0 ? process.stdout : process.stderr).write(msg + '\n', () => process.exit(code));
}, afterMs);

process.on('SIGTERM', () => {
  process.stdout.write('crasher: SIGTERM received, exiting\n', () => process.exit(0));
});
