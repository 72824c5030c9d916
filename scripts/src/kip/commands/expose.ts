// `kip expose`: make a Service for a deployment, replica set or pod, selecting its pods, as
// kubectl expose does.

import { objectPath, type Deployment, type KObject, type Pod, type ReplicaSet, type Service } from '@kip/shared';
import type { Command, Context } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { parseTargets } from '../targets.js';

const EXPOSABLE = new Set(['Deployment', 'ReplicaSet', 'Pod', 'Service']);

function selectorOf(obj: KObject): Record<string, string> {
  switch (obj.kind) {
    case 'Deployment':
    case 'ReplicaSet': {
      const sel = (obj as Deployment | ReplicaSet).spec.selector;
      if (sel.matchExpressions?.length)
        throw new CliError(
          `couldn't retrieve selectors via --selector flag or introspection: the ${obj.kind.toLowerCase()} uses matchExpressions, which a service selector cannot express`,
        );
      return { ...sel.matchLabels };
    }
    case 'Service':
      return { ...(obj as Service).spec.selector };
    default:
      return { ...(obj as Pod).metadata.labels };
  }
}

function portNumberOrName(text: string, flag: string): number | string {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < 1 || n > 65535) throw new UsageError(`--${flag}: ${text} is not a port number (1-65535)`);
    return n;
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(text) || text.length > 15) throw new UsageError(`--${flag}: "${text}" is neither a port number nor a port name`);
  return text;
}

async function run(ctx: Context, args: string[]): Promise<number> {
  const { targets } = parseTargets(args, 'expose');
  const t = targets[0];
  if (t?.names.length !== 1 || targets.length !== 1) throw new UsageError('expose takes one resource, e.g. kip expose deployment/web --port=80');
  if (!EXPOSABLE.has(t.resource.kind)) throw new CliError(`cannot expose a ${t.resource.kind}`);
  const portText = ctx.flags.str('port');
  if (!portText) throw new UsageError('required flag "port" not set: the port the service serves on');
  const port = portNumberOrName(portText, 'port');
  if (typeof port !== 'number') throw new UsageError(`--port: "${portText}" must be a port number`);
  const targetText = ctx.flags.str('target-port');
  const targetPort = targetText ? portNumberOrName(targetText, 'target-port') : port;
  const name = ctx.flags.str('name') || t.names[0]!;
  const source = await ctx.api.call<KObject>('GET', objectPath(t.resource, ctx.namespace, t.names[0]!));
  const selector = selectorOf(source);
  if (Object.keys(selector).length === 0) throw new CliError(`the ${t.resource.singular} ${t.names[0]} has no labels to select its pods by`);
  const portName = ctx.flags.str('port-name');
  const type = ctx.flags.str('type') || 'ClusterIP';
  if (!EXPOSE_TYPES.includes(type as ExposeType)) throw new UsageError(`--type: "${type}" is not one of ${EXPOSE_TYPES.join(', ')}`);
  const svc: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ctx.namespace, labels: { ...(source.metadata.labels ?? selector) } },
    spec: {
      type: type as ExposeType,
      selector,
      ports: [{ ...(portName ? { name: portName } : {}), port, targetPort, protocol: 'TCP' }],
      ...(ctx.flags.str('session-affinity') ? { sessionAffinity: ctx.flags.str('session-affinity') as 'None' | 'ClientIP' } : {}),
    },
  };
  const created = await ctx.api.call<Service>('POST', `/api/v1/namespaces/${encodeURIComponent(ctx.namespace)}/services`, { body: svc });
  const nodePort = created.spec.ports[0]?.nodePort;
  ctx.out(
    `service/${created.metadata.name} exposed (cluster IP ${created.spec.clusterIP}, port ${port} -> ${targetPort}${nodePort ? `, node port ${nodePort}` : ''})\n`,
  );
  return 0;
}

/** The types expose makes; ExternalName selects no pods, so it is not one. */
const EXPOSE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;
type ExposeType = (typeof EXPOSE_TYPES)[number];

export const exposeCommand: Command = {
  name: 'expose',
  group: 'basic',
  summary: 'Take a deployment, replica set or pod and expose it as a new Service',
  usage: ['expose (TYPE NAME | TYPE/NAME) --port=PORT [--target-port=PORT] [--name=NAME] [--type=ClusterIP|NodePort|LoadBalancer] [flags]'],
  description:
    'Create a Service that selects the pods of a deployment, replica set or pod. Every agent then serves it on a local listener (handed to new pods as <NAME>_SERVICE_HOST/_PORT) and by name through its HTTP proxy; a NodePort service also on every node address (127.0.1.N) at its node port, a LoadBalancer service also on its own address (EXTERNAL-IP).',
  examples: [
    '  # Serve the pods of deployment web on port 80, forwarding to their port 8080',
    '  kip expose deployment/web --port=80 --target-port=8080',
    '',
    '  # Target a named container port',
    '  kip expose deploy web --port=80 --target-port=http',
    '',
    '  # Reach it from the host at an address of its own',
    '  kip expose deployment/web --port=8080 --target-port=http --type=LoadBalancer',
  ].join('\n'),
  flags: [
    { name: 'port', type: 'string', valueName: 'port', description: 'The port the service serves on. Required.' },
    { name: 'target-port', type: 'string', valueName: 'port', description: 'The container port (number or name) to send traffic to; defaults to --port.' },
    { name: 'name', type: 'string', valueName: 'name', description: "The name of the new service; defaults to the exposed resource's name." },
    { name: 'port-name', type: 'string', valueName: 'name', description: 'A name for the service port.' },
    { name: 'session-affinity', type: 'string', valueName: 'None|ClientIP', description: 'ClientIP sticks each client to one endpoint.' },
    { name: 'type', type: 'string', valueName: 'type', description: 'ClusterIP (the default), NodePort or LoadBalancer.' },
  ],
  run,
};
