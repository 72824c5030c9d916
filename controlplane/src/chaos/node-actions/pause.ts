// pause lasts its duration: the agent resumes by itself. Deleting it ends it at once: the stopped
// agent cannot hear that, so its resumer process is told instead (resume-early.ts).

import { formatDurationMs, isoTime, type Node } from '@kip/shared';
import { msOf } from '../runs.js';
import type { NodeActionRules } from './rules.js';

export const pause: NodeActionRules = {
  inject({ description, skippedNote, msg, now }) {
    const durationMs = msg.durationMs ?? 0;
    return {
      lasting: true,
      healAt: now + durationMs,
      message: `paused ${description} for ${formatDurationMs(durationMs)}${skippedNote}`,
      nodeMessage: `node paused for ${formatDurationMs(durationMs)} (agent and pods SIGSTOPped; nothing is closed)`,
    };
  },

  checkHeal(_obj, status, now) {
    const healAt = msOf(status.healTime) ?? now;
    if (now < healAt) return { healed: false, recheckMs: healAt - now };
    return { healed: true, message: `pause of ${(status.affected ?? []).join(', ')} ended: agent and pods continued` };
  },

  healDeleted(fault, { agents, store, clock, resumeNow }) {
    if (fault.healAt === undefined || fault.healAt <= clock.now()) return 'deleted; the pause is over';
    const continued: string[] = [];
    const unreachable: string[] = [];
    for (const n of fault.affected) {
      const pid = agents.session(n)?.pid ?? store.get<Node>('Node', undefined, n)?.status?.nodeInfo?.agentPid;
      if (pid !== undefined && resumeNow(pid) > 0) continued.push(n);
      else unreachable.push(n);
    }
    const parts: string[] = [];
    if (continued.length) parts.push(`${continued.join(', ')} continued now`);
    if (unreachable.length) parts.push(`no pause found to end for ${unreachable.join(', ')} (its agent is gone, or it continues at ${isoTime(fault.healAt)})`);
    return `deleted while the pause held: ${parts.join('; ')}`;
  },
};
