// restart lasts until every restarted node's agent has connected again and the node is Ready; a
// node not back well after its restart delay is reported as not coming back.

import { DEFAULT_RESTART_DELAY_MS, formatDurationMs, isNodeReady, parseDuration, type Node } from '@kip/shared';
import { msOf } from '../runs.js';
import type { NodeActionRules } from './rules.js';

/** A restarted node that is not back this long after its restart delay is reported as not coming back. */
export const RESTART_GRACE_MS = 30_000;
/** How often a restart in progress is looked at. */
const RESTART_POLL_MS = 500;

export const restart: NodeActionRules = {
  inject({ description, skippedNote, msg }) {
    const restartDelayMs = msg.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
    return {
      lasting: true,
      message: `restarting ${description}: down for ${formatDurationMs(restartDelayMs)}, then started again by kip's launcher or test cluster (an agent started by hand stays down)${skippedNote}`,
      nodeMessage: `node restarting: agent stopped, back in ${formatDurationMs(restartDelayMs)} if kip's launcher started it`,
    };
  },

  checkHeal(obj, status, now, { agents, store }) {
    const since = msOf(status.injectedTime) ?? now;
    const nodes = status.affected ?? [];
    const restartDelayMs = parseDuration(obj.spec.restartDelay ?? '') ?? DEFAULT_RESTART_DELAY_MS;
    const back = nodes.filter((n) => {
      const s = agents.session(n);
      const node = store.get<Node>('Node', undefined, n);
      return s !== undefined && s.connectedAtMs > since && node !== undefined && isNodeReady(node);
    });
    if (back.length === nodes.length) return { healed: true, message: `${nodes.join(', ')} restarted and Ready again` };
    const deadline = since + restartDelayMs + RESTART_GRACE_MS;
    if (now >= deadline) {
      const missing = nodes.filter((n) => !back.includes(n));
      return {
        healed: true,
        failed: `${missing.join(', ')} did not come back within ${formatDurationMs(deadline - since)}: only agents started by kip's launcher (npm run cluster) or a test cluster are restarted; start ${missing.length === 1 ? 'it' : 'them'} again by hand`,
      };
    }
    return { healed: false, recheckMs: RESTART_POLL_MS };
  },

  healDeleted: () => 'deleted; a node that is restarting still comes back',
};
