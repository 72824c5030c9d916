// `npm run chaos -- heal NAME... | --all`: deletes fault objects. Deleting one heals what it holds
// (the controllers see it go), as deleting a Chaos Mesh object does.

import { DEFAULT_NAMESPACE, resourceByKind, ApiStatusError, type KObject, type ResourceType, type ApiClient } from '@kip/shared';
import { UsageError } from '../kip/errors.js';
import type { ParsedFlags } from '../kip/flags.js';
import type { CliIO } from '../kip/io.js';

const KINDS = ['NodeChaos', 'NetworkChaos', 'ControlPlaneChaos'];

function kinds(): ResourceType[] {
  return KINDS.map((k) => resourceByKind(k)!);
}

async function listAll(api: ApiClient, namespace: string): Promise<{ r: ResourceType; obj: KObject }[]> {
  const out: { r: ResourceType; obj: KObject }[] = [];
  for (const r of kinds()) for (const obj of (await api.list(r, namespace)).items ?? []) out.push({ r, obj });
  return out;
}

/** Deletes by name, in either kind ("nodechaos/NAME" picks one); answers the resource it was found in. */
async function deleteNamed(api: ApiClient, namespace: string, ref: string): Promise<ResourceType | undefined> {
  const slash = ref.indexOf('/');
  const only =
    slash > 0 ? kinds().find((r) => r.plural === ref.slice(0, slash).toLowerCase() || r.kind.toLowerCase() === ref.slice(0, slash).toLowerCase()) : undefined;
  if (slash > 0 && !only) throw new UsageError(`"${ref}": the type must be nodechaos or networkchaos`);
  const name = slash > 0 ? ref.slice(slash + 1) : ref;
  for (const r of only ? [only] : kinds()) {
    try {
      await api.delete(r, namespace, name);
      return r;
    } catch (err) {
      if (!(err instanceof ApiStatusError) || !err.isNotFound) throw err;
    }
  }
  return undefined;
}

export async function healCommand(api: ApiClient, flags: ParsedFlags, io: CliIO): Promise<number> {
  const namespace = flags.str('namespace') || io.env.KIP_NAMESPACE || DEFAULT_NAMESPACE;
  for (const f of flags.given)
    if (!['server', 'token', 'kubeconfig', 'namespace', 'all', 'help'].includes(f)) throw new UsageError(`--${f} does not apply to heal`);
  const names = flags.positionals;
  if (flags.bool('all')) {
    if (names.length > 0) throw new UsageError('give names or --all, not both');
    const all = await listAll(api, namespace);
    if (all.length === 0) {
      io.stdout.write(`nothing to heal: no fault objects in namespace ${namespace}\n`);
      return 0;
    }
    for (const { r, obj } of all) {
      await api.delete(r, namespace, obj.metadata.name).catch((err: unknown) => {
        if (!(err instanceof ApiStatusError) || !err.isNotFound) throw err;
      });
      io.stdout.write(`${r.singular}/${obj.metadata.name} deleted: healed\n`);
    }
    return 0;
  }
  if (names.length === 0) {
    const all = await listAll(api, namespace).catch(() => []);
    const hint = all.length ? ` (in namespace ${namespace}: ${all.map(({ obj }) => obj.metadata.name).join(', ')})` : '';
    throw new UsageError(`heal needs the names of fault objects, or --all${hint}`);
  }
  let failed = false;
  for (const ref of names) {
    const r = await deleteNamed(api, namespace, ref);
    if (r) io.stdout.write(`${r.singular}/${ref.replace(/^[^/]*\//, '')} deleted: healed\n`);
    else {
      io.stderr.write(`error: no fault object named "${ref}" in namespace ${namespace} (see npm run chaos -- list)\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
