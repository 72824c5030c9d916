// The NodeChaos controller: kills, pauses and restarts nodes by telling their agents to
// (a nodeAction message; the agent carries it out on itself). It picks among connected, Ready
// nodes, skips a run that would leave fewer Ready nodes than minReady, and watches a lasting
// fault until it is over: a pause until its duration ends (the agent resumes by itself), a
// restart until the node's agent has connected again. Deleting a pause ends it at once: the
// stopped agent cannot hear that, so its resumer process is told instead (resume-early.ts).

import { chooseForNodeChaos, DEFAULT_RESTART_DELAY_MS, findNodeAction, formatDurationMs, isNodeReady, parseDuration, type ChaosStatus, type Node, type NodeAction, type NodeChaos } from '@kip/shared';
import { ChaosController, type ActiveFault, type ChaosControllerDeps, type HealCheck, type RunOutcome } from './chaos-controller.js';
import { resumeNow } from './resume-early.js';
import { msOf } from './runs.js';

/** A restarted node that is not back this long after its restart delay is reported as not coming back. */
export const RESTART_GRACE_MS = 30_000;
/** How often a restart in progress is looked at. */
const RESTART_POLL_MS = 500;

export class NodeChaosController extends ChaosController<NodeChaos> {
  readonly name = 'nodechaos';
  readonly kind = 'NodeChaos' as const;
  private readonly resumeNow: (agentPid: number) => number;

  constructor(deps: ChaosControllerDeps) {
    super(deps);
    this.resumeNow = deps.resumeNow ?? resumeNow;
  }

  protected run(obj: NodeChaos, status: ChaosStatus, now: number, attempt: number): RunOutcome {
    const spec = obj.spec;
    // Ready means Ready and connected: a node whose agent is gone cannot be told anything.
    const facts = this.store.list<Node>('Node').items.map((n) => ({ name: n.metadata.name, labels: n.metadata.labels, ready: isNodeReady(n) && this.agents.session(n.metadata.name) !== undefined }));
    const choice = chooseForNodeChaos(spec, facts, status.seed ?? 0, attempt);
    if (choice.result !== 'Chosen') return { result: choice.result, nodes: choice.nodes, message: choice.message };
    const chosen = choice.nodes;
    const unavailable = choice.unavailable;
    const description = choice.description;
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const skippedNote = unavailable.length ? `; skipped ${unavailable.join(', ')} (not Ready)` : '';
    // The message is the action's wire encoding of the spec: what the agent needs to carry it out.
    const msg: NodeAction = { type: 'nodeAction', action: spec.action, chaos: key, ...findNodeAction(spec.action)!.toWire(spec) };
    const act = () => {
      for (const n of chosen) if (!this.agents.session(n)?.send(msg)) this.log.warn('could not reach node for chaos', { node: n, chaos: key });
    };
    switch (spec.action) {
      case 'kill':
        return { result: 'Injected', nodes: chosen, message: `killed ${description}${skippedNote}`, nodeMessage: 'node killed (agent SIGKILLed, its pods die with it)', act };
      case 'pause': {
        const durationMs = msg.durationMs ?? 0;
        return {
          result: 'Injected',
          nodes: chosen,
          lasting: true,
          healAt: now + durationMs,
          message: `paused ${description} for ${formatDurationMs(durationMs)}${skippedNote}`,
          nodeMessage: `node paused for ${formatDurationMs(durationMs)} (agent and pods SIGSTOPped; nothing is closed)`,
          act,
        };
      }
      case 'restart': {
        const restartDelayMs = msg.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
        return {
          result: 'Injected',
          nodes: chosen,
          lasting: true,
          message: `restarting ${description}: down for ${formatDurationMs(restartDelayMs)}, then started again by kip's launcher or test cluster (an agent started by hand stays down)${skippedNote}`,
          nodeMessage: `node restarting: agent stopped, back in ${formatDurationMs(restartDelayMs)} if kip's launcher started it`,
          act,
        };
      }
    }
  }

  protected checkHeal(obj: NodeChaos, status: ChaosStatus, now: number): HealCheck {
    const since = msOf(status.injectedTime) ?? now;
    const nodes = status.affected ?? [];
    if (obj.spec.action === 'pause') {
      const healAt = msOf(status.healTime) ?? now;
      if (now < healAt) return { healed: false, recheckMs: healAt - now };
      return { healed: true, message: `pause of ${nodes.join(', ')} ended: agent and pods continued` };
    }
    // restart: healed once every node's agent has connected again since the restart
    const restartDelayMs = parseDuration(obj.spec.restartDelay ?? '') ?? DEFAULT_RESTART_DELAY_MS;
    const back = nodes.filter((n) => {
      const s = this.agents.session(n);
      const node = this.store.get<Node>('Node', undefined, n);
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
  }

  protected healDeleted(fault: ActiveFault): string {
    if (fault.action !== 'pause') return 'deleted; a node that is restarting still comes back';
    if (fault.healAt === undefined || fault.healAt <= this.clock.now()) return 'deleted; the pause is over';
    const continued: string[] = [];
    const unreachable: string[] = [];
    for (const n of fault.affected) {
      const pid = this.agents.session(n)?.pid ?? this.store.get<Node>('Node', undefined, n)?.status?.nodeInfo?.agentPid;
      if (pid !== undefined && this.resumeNow(pid) > 0) continued.push(n);
      else unreachable.push(n);
    }
    const parts: string[] = [];
    if (continued.length) parts.push(`${continued.join(', ')} continued now`);
    if (unreachable.length) parts.push(`no pause found to end for ${unreachable.join(', ')} (its agent is gone, or it continues at ${this.at(fault.healAt)})`);
    return `deleted while the pause held: ${parts.join('; ')}`;
  }
}
