// `-o name`: `pod/web-1`, `deployment.apps/web`, one per line, as scripts consume it.

import { resourceByKind, type KObject } from '@kip/shared';

export function objectName(obj: KObject): string {
  const r = resourceByKind(obj.kind);
  const prefix = r?.group ? `${obj.kind.toLowerCase()}.${r.group}` : obj.kind.toLowerCase();
  return `${prefix}/${obj.metadata.name}`;
}

export function printName(obj: KObject): string {
  return objectName(obj) + '\n';
}
