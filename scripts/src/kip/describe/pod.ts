// `kip describe pod`: kubectl's layout, with kip's host ports in place of container host ports.

import { controllerOf, parseBytes, parseCpuMillis, type Event, type Pod } from '@kip/shared';
import { NONE } from '../printers/columns.js';
import { formatToleration, writeAnnotations, writeContainers, writeEvents, writeLabels, writeMultiline } from './sections.js';
import { DescribeWriter, type DescribeEnv } from './writer.js';

/** The QoS class as Kubernetes derives it, for pods whose status does not carry it. */
export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = pod.spec?.containers ?? [];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) any = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      // A request left out defaults to the limit, so only a different request breaks Guaranteed.
      const q = req[r] ?? l;
      if (l === undefined || q === undefined) guaranteed = false;
      else if (r === 'cpu' ? parseCpuMillis(q) !== parseCpuMillis(l) : parseBytes(q) !== parseBytes(l)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function describePod(pod: Pod, events: readonly Event[], env: DescribeEnv): string {
  const w = new DescribeWriter(env);
  const st = pod.status ?? {};
  w.field(0, 'Name', pod.metadata.name);
  w.field(0, 'Namespace', pod.metadata.namespace ?? '');
  if (pod.spec?.priority !== undefined) w.field(0, 'Priority', pod.spec.priority);
  w.field(0, 'Node', pod.spec?.nodeName ? `${pod.spec.nodeName}/${st.hostIP ?? ''}` : NONE);
  if (st.startTime) w.field(0, 'Start Time', w.date(st.startTime));
  writeLabels(w, '', 'Labels', pod.metadata.labels);
  writeAnnotations(w, '', 'Annotations', pod.metadata.annotations);
  if (pod.metadata.deletionTimestamp) {
    w.field(0, 'Status', `Terminating (lasts ${w.age(pod.metadata.deletionTimestamp)})`);
    w.field(0, 'Termination Grace Period', `${pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30}s`);
  } else {
    w.field(0, 'Status', st.phase ?? 'Pending');
  }
  if (st.reason) w.field(0, 'Reason', st.reason);
  if (st.message) w.field(0, 'Message', st.message.replace(/\n/g, ' '));
  w.field(0, 'IP', st.podIP ?? '');
  const ips = st.podIPs?.length ? st.podIPs.map((p) => p.ip) : st.podIP ? [st.podIP] : [];
  if (ips.length === 0) w.field(0, 'IPs', NONE);
  else {
    w.write(0, 'IPs:\n');
    for (const ip of ips) w.write(1, `IP:\t${ip}\n`);
  }
  const owner = controllerOf(pod);
  if (owner) w.field(0, 'Controlled By', `${owner.kind}/${owner.name}`);
  writeContainers(w, '', 'Containers', pod.spec?.containers ?? [], { statuses: st.containerStatuses ?? [], hostPorts: st.kipHostPorts ?? {} });
  if (st.conditions?.length) {
    w.write(0, 'Conditions:\n  Type\tStatus\n');
    for (const c of st.conditions) w.write(1, `${c.type} \t${c.status} \n`);
  }
  w.field(0, 'QoS Class', st.qosClass ?? qosClass(pod));
  writeLabels(w, '', 'Node-Selectors', pod.spec?.nodeSelector);
  writeMultiline(w, '', 'Tolerations', (pod.spec?.tolerations ?? []).map(formatToleration));
  writeEvents(w, events);
  return w.toString();
}
