// `kip describe service` and `kip describe endpoints`, in kubectl's layout.

import type { Endpoints, Event, Service } from '@kip/shared';
import { NONE } from '../printers/columns.js';
import { writeAnnotations, writeEvents, writeLabels } from './sections.js';
import { DescribeWriter, type DescribeEnv } from './writer.js';

/** The ready endpoints of one service port, `ip:port,...`, as kubectl lists them per port. */
export function endpointsForPort(ep: Endpoints | undefined, portName: string | undefined): string {
  const out: string[] = [];
  for (const subset of ep?.subsets ?? []) {
    for (const p of subset.ports ?? []) {
      if ((p.name ?? '') !== (portName ?? '')) continue;
      for (const a of subset.addresses ?? []) out.push(`${a.ip}:${p.port}`);
    }
  }
  return out.length > 0 ? out.join(',') : NONE;
}

export function describeService(svc: Service, endpoints: Endpoints | undefined, events: readonly Event[], env: DescribeEnv): string {
  const w = new DescribeWriter(env);
  w.field(0, 'Name', svc.metadata.name);
  w.field(0, 'Namespace', svc.metadata.namespace ?? '');
  writeLabels(w, '', 'Labels', svc.metadata.labels);
  writeAnnotations(w, '', 'Annotations', svc.metadata.annotations);
  const selector = Object.entries(svc.spec?.selector ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  w.field(0, 'Selector', selector || NONE);
  w.field(0, 'Type', svc.spec?.type ?? 'ClusterIP');
  w.field(0, 'IP', svc.spec?.clusterIP || NONE);
  w.field(0, 'IPs', (svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : [])).join(',') || NONE);
  for (const p of svc.spec?.ports ?? []) {
    const proto = p.protocol ?? 'TCP';
    w.write(0, `Port:\t${p.name || '<unset>'}\t${p.port}/${proto}\n`);
    w.write(0, `TargetPort:\t${p.targetPort ?? p.port}/${proto}\n`);
    w.write(0, `Endpoints:\t${endpointsForPort(endpoints, p.name)}\n`);
  }
  w.field(0, 'Session Affinity', svc.spec?.sessionAffinity ?? 'None');
  writeEvents(w, events);
  return w.toString();
}

export function describeEndpoints(ep: Endpoints, events: readonly Event[], env: DescribeEnv): string {
  const w = new DescribeWriter(env);
  w.field(0, 'Name', ep.metadata.name);
  w.field(0, 'Namespace', ep.metadata.namespace ?? '');
  writeLabels(w, '', 'Labels', ep.metadata.labels);
  writeAnnotations(w, '', 'Annotations', ep.metadata.annotations);
  w.write(0, 'Subsets:\n');
  for (const s of ep.subsets ?? []) {
    w.write(1, `Addresses:\t${(s.addresses ?? []).map((a) => a.ip).join(',') || NONE}\n`);
    w.write(1, `NotReadyAddresses:\t${(s.notReadyAddresses ?? []).map((a) => a.ip).join(',') || NONE}\n`);
    if (s.ports?.length) {
      w.write(1, 'Ports:\n');
      w.write(2, 'Name\tPort\tProtocol\n');
      w.write(2, '----\t----\t--------\n');
      for (const p of s.ports) w.write(2, `${p.name || '<unset>'}\t${p.port}\t${p.protocol ?? 'TCP'}\n`);
    }
    w.write(0, '\n');
  }
  writeEvents(w, events);
  return w.toString();
}
