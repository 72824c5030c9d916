// `kip describe node`: kubectl's layout, with the agent's pid in System Info, and the pods on the
// node with their share of its allocatable cpu and memory.

import { formatBytes, formatCpuMillis, parseBytes, parseCpuMillis, type Event, type Node, type Pod } from '@kip/shared';
import { nodeRoles } from '../printers/columns.js';
import { formatTaint, writeAnnotations, writeEvents, writeLabels, writeMultiline } from './sections.js';
import { DescribeWriter, type DescribeEnv } from './writer.js';

interface PodTotals {
  cpuReq: number;
  cpuLim: number;
  memReq: number;
  memLim: number;
}

/** Requests and limits as kubectl's describe sums them (a container's limit does not default its request here). */
export function podTotals(pod: Pod): PodTotals {
  const t: PodTotals = { cpuReq: 0, cpuLim: 0, memReq: 0, memLim: 0 };
  for (const c of pod.spec?.containers ?? []) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    t.cpuReq += parseCpuMillis(req.cpu ?? lim.cpu);
    t.memReq += parseBytes(req.memory ?? lim.memory);
    t.cpuLim += parseCpuMillis(lim.cpu);
    t.memLim += parseBytes(lim.memory);
  }
  return t;
}

const pct = (v: number, of: number) => (of > 0 ? Math.trunc((v / of) * 100) : 0);
const cpu = (m: number) => (m === 0 ? '0' : formatCpuMillis(m));
const mem = (b: number) => (b === 0 ? '0' : formatBytes(b));

function resourceList(w: DescribeWriter, title: string, list: Record<string, string> | undefined): void {
  w.write(0, `${title}:\n`);
  for (const [k, v] of Object.entries(list ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) w.write(1, `${k}:\t${v}\n`);
}

export function describeNode(node: Node, pods: readonly Pod[], events: readonly Event[], env: DescribeEnv): string {
  const w = new DescribeWriter(env);
  const st = node.status ?? {};
  w.field(0, 'Name', node.metadata.name);
  w.field(0, 'Roles', nodeRoles(node));
  writeLabels(w, '', 'Labels', node.metadata.labels);
  writeAnnotations(w, '', 'Annotations', node.metadata.annotations);
  w.field(0, 'CreationTimestamp', w.date(node.metadata.creationTimestamp));
  writeMultiline(w, '', 'Taints', (node.spec?.taints ?? []).map(formatTaint));
  w.field(0, 'Unschedulable', node.spec?.unschedulable ? 'true' : 'false');
  if (st.conditions?.length) {
    w.write(0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
    w.write(1, '----\t------\t-----------------\t------------------\t------\t-------\n');
    for (const c of st.conditions)
      w.write(1, `${c.type} \t${c.status} \t${w.date(c.lastHeartbeatTime)} \t${w.date(c.lastTransitionTime)} \t${c.reason ?? ''} \t${c.message ?? ''}\n`);
  }
  w.write(0, 'Addresses:\n');
  for (const a of st.addresses ?? []) w.write(1, `${a.type}:\t${a.address}\n`);
  if (st.capacity) resourceList(w, 'Capacity', st.capacity);
  if (st.allocatable) resourceList(w, 'Allocatable', st.allocatable);
  const info = st.nodeInfo;
  if (info) {
    w.write(0, 'System Info:\n');
    w.write(1, `Operating System:\t${info.operatingSystem ?? ''}\n`);
    w.write(1, `Architecture:\t${info.architecture ?? ''}\n`);
    if (info.kernelVersion) w.write(1, `Kernel Version:\t${info.kernelVersion}\n`);
    w.write(1, `Kubelet Version:\t${info.kubeletVersion ?? ''}\n`);
    w.write(1, `Agent PID:\t${info.agentPid ?? ''}\n`);
    if (info.tunnelEndpoint) w.write(1, `Tunnel Endpoint:\t${info.tunnelEndpoint}\n`);
  }
  if (node.spec?.podCIDR) w.field(0, 'PodCIDR', node.spec.podCIDR);
  if (node.spec?.podCIDRs?.length) w.field(0, 'PodCIDRs', node.spec.podCIDRs.join(','));

  const allocCpu = parseCpuMillis(st.allocatable?.cpu);
  const allocMem = parseBytes(st.allocatable?.memory);
  w.write(0, `Non-terminated Pods:\t(${pods.length} in total)\n`);
  const totals: PodTotals = { cpuReq: 0, cpuLim: 0, memReq: 0, memLim: 0 };
  if (pods.length > 0) {
    w.write(1, 'Namespace\tName\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
    w.write(1, '---------\t----\t------------\t----------\t---------------\t-------------\t---\n');
    for (const p of pods) {
      const t = podTotals(p);
      totals.cpuReq += t.cpuReq;
      totals.cpuLim += t.cpuLim;
      totals.memReq += t.memReq;
      totals.memLim += t.memLim;
      w.write(
        1,
        `${p.metadata.namespace ?? ''}\t${p.metadata.name}\t${cpu(t.cpuReq)} (${pct(t.cpuReq, allocCpu)}%)\t${cpu(t.cpuLim)} (${pct(t.cpuLim, allocCpu)}%)\t` +
          `${mem(t.memReq)} (${pct(t.memReq, allocMem)}%)\t${mem(t.memLim)} (${pct(t.memLim, allocMem)}%)\t${w.age(p.metadata.creationTimestamp)}\n`,
      );
    }
  }
  w.write(0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
  w.write(1, 'Resource\tRequests\tLimits\n');
  w.write(1, '--------\t--------\t------\n');
  w.write(1, `cpu\t${cpu(totals.cpuReq)} (${pct(totals.cpuReq, allocCpu)}%)\t${cpu(totals.cpuLim)} (${pct(totals.cpuLim, allocCpu)}%)\n`);
  w.write(1, `memory\t${mem(totals.memReq)} (${pct(totals.memReq, allocMem)}%)\t${mem(totals.memLim)} (${pct(totals.memLim, allocMem)}%)\n`);
  writeEvents(w, events);
  return w.toString();
}
