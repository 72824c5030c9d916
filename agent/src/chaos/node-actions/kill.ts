// kill: SIGKILL to itself. Its pods die with it through their watchers' lifelines, as on a
// machine that lost power.

import type { NodeActionHandler } from './handler.js';

export const kill: NodeActionHandler = async (msg, { log, nodeName, pid, signal }) => {
  log.warn(`killed by chaos ${msg.chaos}: SIGKILL`, { node: nodeName });
  signal(pid, 'SIGKILL');
};
