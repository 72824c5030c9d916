// restart: the agent leaves a restart request (<node dir>/restart-after) and SIGKILLs itself;
// whoever started it (kip's launcher, a test cluster) starts it again under the same name after
// the delay. An agent started by hand has nobody to do that: it says so in an event, and dies all
// the same.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_RESTART_DELAY_MS, RESTART_REQUEST_FILE, SUPERVISOR_ENV, type RestartRequest } from '@kip/shared';
import { nodeEvent, type NodeActionHandler } from './handler.js';

export const restart: NodeActionHandler = async (msg, ctx) => {
  const { log, nodeName } = ctx;
  const delayMs = msg.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
  const request: RestartRequest = { delayMs, chaos: msg.chaos, requestedAt: Date.now() };
  writeFileSync(path.join(ctx.nodeDir, RESTART_REQUEST_FILE), JSON.stringify(request) + '\n');
  const supervisor = ctx.supervisor ?? process.env[SUPERVISOR_ENV];
  if (!supervisor) {
    const why = `restart requested by chaos ${msg.chaos}, but this agent was started by hand: nothing will start it again; start it yourself, or run nodes with kip's launcher (npm run cluster)`;
    log.warn(why, { node: nodeName });
    nodeEvent(ctx, 'ChaosRestartUnsupervised', why, 'Warning');
    // A moment for the event to leave before the process goes.
    await sleep(300);
  } else {
    log.warn(`restart requested by chaos ${msg.chaos}: stopping now; ${supervisor} starts this node again in ${delayMs} ms`, { node: nodeName });
  }
  ctx.signal(ctx.pid, 'SIGKILL');
};
