// Whether a network fault touched what the probe measured. The probe's requests go from its node
// to the nodes of the pods that answer; a NetworkChaos acts on the links between the nodes it
// chose and its targets. When no request sent while the fault held crossed such a link, and none
// failed, the figures cannot show the fault at all: the report says so, rather than leave a reader
// to conclude that the fault did nothing (on 5 nodes, say, no web pod may sit across the link).

import type { ChaosStatus } from '@kip/shared';

export interface ProbedRequest {
  ok: boolean;
  /** the node of the pod that answered */
  node?: string;
}

/** The warning for a network fault the probe's traffic never crossed, or undefined. */
export function missedFaultWarning(name: string, status: ChaosStatus | undefined, probeNode: string, requests: readonly ProbedRequest[]): string | undefined {
  const injected = (status?.records ?? []).filter((r) => r.result === 'Injected');
  if (!probeNode || injected.length === 0 || requests.length === 0) return undefined;
  // A failure while it held may be its doing (a partition holds requests until they time out).
  if (requests.some((r) => !r.ok)) return undefined;
  const crosses = (answeredBy: string) =>
    answeredBy !== probeNode &&
    injected.some((r) => {
      const targets = r.targets ?? [];
      return (r.nodes.includes(probeNode) && targets.includes(answeredBy)) || (targets.includes(probeNode) && r.nodes.includes(answeredBy));
    });
  if (requests.some((r) => r.node !== undefined && crosses(r.node))) return undefined;
  const nodes = [...new Set(injected.flatMap((r) => r.nodes))].sort();
  const targets = [...new Set(injected.flatMap((r) => r.targets ?? []))].sort();
  const answered = [...new Set(requests.flatMap((r) => (r.node ? [r.node] : [])))].sort();
  return (
    `fault ${name} acts on the links between ${nodes.join(', ')} and ${targets.join(', ')}, but no probe request crossed one while it held ` +
    `(the probe ran on ${probeNode}; answers came from ${answered.join(', ') || 'no node named in the replies'}), and none failed: ` +
    `these figures cannot show its effect. Put the probed pods across the link (nodeName or nodeSelector in the workload), or probe from one of its nodes.`
  );
}
