// How `kip describe` shows a pod's volumes, its containers' mounts and the sources of their
// variables, in kubectl's words (describe.go: printVolumes, describeContainerEnvVars).

import type { DescribeOutput } from './describe.js';
import type { Container } from './pod-spec.js';
import type { Volume } from './pod-volumes.js';

const NONE = '<none>';

/** `Environment Variables from:` of a container that has envFrom. */
export function writeEnvFrom(w: DescribeOutput, c: Container): void {
  if (!c.envFrom?.length) return;
  w.write(2, 'Environment Variables from:\n');
  for (const e of c.envFrom) {
    const [name, kind, optional] = e.configMapRef
      ? [e.configMapRef.name, 'ConfigMap', !!e.configMapRef.optional]
      : [e.secretRef?.name ?? '', 'Secret', !!e.secretRef?.optional];
    w.write(3, `${name}\t${kind}${e.prefix ? ` with prefix '${e.prefix}'` : ''}\tOptional: ${optional}\n`);
  }
}

/** One variable's line: its value, or where it comes from. */
export function envLine(c: Container, e: NonNullable<Container['env']>[number]): string {
  const from = e.valueFrom;
  if (from?.fieldRef) return `${e.name}:\t (${from.fieldRef.apiVersion ?? 'v1'}:${from.fieldRef.fieldPath})`;
  if (from?.resourceFieldRef) {
    const [kind, resource] = from.resourceFieldRef.resource.split('.') as ['limits' | 'requests', string];
    const value = c.resources?.[kind]?.[resource] ?? (kind === 'limits' ? 'node allocatable' : '0');
    return `${e.name}:\t${value} (${from.resourceFieldRef.resource})`;
  }
  if (from?.configMapKeyRef)
    return `${e.name}:\t<set to the key '${from.configMapKeyRef.key}' of config map '${from.configMapKeyRef.name}'>\tOptional: ${!!from.configMapKeyRef.optional}`;
  if (from?.secretKeyRef)
    return `${e.name}:\t<set to the key '${from.secretKeyRef.key}' in secret '${from.secretKeyRef.name}'>\tOptional: ${!!from.secretKeyRef.optional}`;
  return `${e.name}:\t${(e.value ?? '').replace(/\n/g, '\\n')}`;
}

/** `Mounts:` of a container: `/etc/app from config (ro)`. */
export function writeMounts(w: DescribeOutput, c: Container): void {
  if (!c.volumeMounts?.length) {
    w.write(2, `Mounts:\t${NONE}\n`);
    return;
  }
  w.write(2, 'Mounts:\n');
  for (const m of c.volumeMounts) {
    const flags = [m.readOnly ? 'ro' : 'rw', ...(m.subPath ? [`path="${m.subPath}"`] : [])].join(',');
    w.write(3, `${m.mountPath} from ${m.name} (${flags})\n`);
  }
}

function items(
  w: DescribeOutput,
  level: number,
  list: { key?: string; path: string; fieldRef?: { fieldPath: string }; resourceFieldRef?: { resource: string } }[] | undefined,
): void {
  if (!list?.length) return;
  w.write(level, 'Items:\n');
  for (const it of list) w.write(level + 1, `${it.key ?? it.fieldRef?.fieldPath ?? it.resourceFieldRef?.resource ?? ''} -> ${it.path}\n`);
}

/** The pod's `Volumes:` section. */
export function writeVolumes(w: DescribeOutput, indent: string, volumes: Volume[] | undefined): void {
  if (!volumes?.length) {
    w.write(0, `${indent}Volumes:\t${NONE}\n`);
    return;
  }
  w.write(0, `${indent}Volumes:\n`);
  const at = indent ? 2 : 1;
  for (const v of volumes) {
    w.write(at, `${v.name}:\n`);
    const f = (k: string, val: string | number | boolean) => w.write(at + 1, `${k}:\t${val}\n`);
    if (v.emptyDir) {
      f('Type', "EmptyDir (a temporary directory that shares a pod's lifetime)");
      f('Medium', v.emptyDir.medium ?? '');
      f('SizeLimit', v.emptyDir.sizeLimit ?? '<unset>');
    } else if (v.configMap) {
      f('Type', 'ConfigMap (a volume populated by a ConfigMap)');
      f('Name', v.configMap.name);
      f('Optional', !!v.configMap.optional);
      items(w, at + 1, v.configMap.items);
    } else if (v.secret) {
      f('Type', 'Secret (a volume populated by a Secret)');
      f('SecretName', v.secret.secretName);
      f('Optional', !!v.secret.optional);
      items(w, at + 1, v.secret.items);
    } else if (v.downwardAPI) {
      f('Type', 'DownwardAPI (a volume populated by information about the pod)');
      items(w, at + 1, v.downwardAPI.items);
    } else if (v.projected) {
      f('Type', 'Projected (a volume that contains injected data from multiple sources)');
      for (const s of v.projected.sources) {
        if (s.configMap) {
          f('ConfigMapName', s.configMap.name);
          f('Optional', !!s.configMap.optional);
        } else if (s.secret) {
          f('SecretName', s.secret.name);
          f('Optional', !!s.secret.optional);
        } else if (s.downwardAPI) f('DownwardAPI', 'true');
      }
    } else if (v.hostPath) {
      f('Type', 'HostPath (bare host directory volume)');
      f('Path', v.hostPath.path);
      f('HostPathType', v.hostPath.type ?? '');
    } else if (v.persistentVolumeClaim) {
      f('Type', 'PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)');
      f('ClaimName', v.persistentVolumeClaim.claimName);
      f('ReadOnly', !!v.persistentVolumeClaim.readOnly);
    }
  }
}
