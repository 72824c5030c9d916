// The restart handshake between an agent and whoever started it: before a chaos restart kills it,
// the agent leaves a request in its node directory; the process that started it (kip's
// LocalCluster: the launcher and the test clusters) finds the request when the agent exits and
// starts it again under the same name after the delay. Whoever does so says so in the agent's
// environment, so that an agent started by hand knows nobody will.

import { readCmdline, readProcStat } from '../proc.js';

/** The request file: in <data-dir>/nodes/<node>/ for an agent, in <data-dir> for the control plane. */
export const RESTART_REQUEST_FILE = 'restart-after';

/** Set in an agent's environment by whoever restarts it on request; names that someone. */
export const SUPERVISOR_ENV = 'KIP_AGENT_SUPERVISOR';

/**
 * Set in the control plane's environment by whoever starts it again when it dies (the launcher,
 * an experiment's private cluster); names that someone. Without it, a ControlPlaneChaos refuses.
 */
export const CONTROL_PLANE_SUPERVISOR_ENV = 'KIP_CONTROLPLANE_SUPERVISOR';

export const DEFAULT_RESTART_DELAY_MS = 3000;

export interface RestartRequest {
  delayMs: number;
  /** the NodeChaos that asked, "namespace/name" */
  chaos?: string;
  /** ms since epoch */
  requestedAt?: number;
}

/** Reads a request file's text; a damaged one still means "restart", after the default delay. */
export function parseRestartRequest(text: string): RestartRequest {
  try {
    const r = JSON.parse(text) as { delayMs?: unknown; chaos?: unknown; requestedAt?: unknown };
    return {
      delayMs: typeof r.delayMs === 'number' && Number.isFinite(r.delayMs) && r.delayMs >= 0 ? r.delayMs : DEFAULT_RESTART_DELAY_MS,
      ...(typeof r.chaos === 'string' ? { chaos: r.chaos } : {}),
      ...(typeof r.requestedAt === 'number' ? { requestedAt: r.requestedAt } : {}),
    };
  } catch {
    return { delayMs: DEFAULT_RESTART_DELAY_MS };
  }
}

/** The launcher's process title (`npm run cluster`): it restarts a dead control plane with a durable store. */
export const LAUNCHER_TITLE = 'kip-cluster';

/** Whether kip's launcher is the parent of this process: only then does a control plane come back after dying. */
export function startedByLauncher(pid: number): boolean {
  const ppid = readProcStat(pid)?.ppid;
  return ppid !== undefined && (readCmdline(ppid)?.[0] ?? '').startsWith(LAUNCHER_TITLE);
}
