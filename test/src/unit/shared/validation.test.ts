import assert from 'node:assert/strict';
import { formatFieldErrors, validateObject, type FieldError } from '@kip/shared';
import { goodDeployment, goodEvent, goodNode, goodPod, goodReplicaSet, goodService, setPath } from './fixtures.js';

type Obj = Record<string, unknown>;

interface Case {
  name: string;
  base: () => Obj;
  /** dotted path -> new value (undefined deletes) */
  set: Record<string, unknown>;
  /** every error expected, in order: field and a pattern of its message */
  want: [string, RegExp][];
}

function check(c: Case): void {
  const obj = c.base();
  for (const [path, value] of Object.entries(c.set)) setPath(obj, path, value);
  const errors = validateObject(obj);
  const shown = JSON.stringify(errors, null, 1);
  assert.equal(errors.length, c.want.length, `expected ${c.want.length} error(s), got ${shown}`);
  c.want.forEach(([field, message], i) => {
    assert.equal(errors[i]!.field, field, shown);
    assert.match(errors[i]!.message, message, shown);
  });
}

const TERMS = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms';
const PREFERRED = 'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution';
const C0 = 'spec.containers[0]';

const objectCases: Case[] = [
  { name: 'kind is required', base: goodPod, set: { kind: undefined }, want: [['kind', /^Required value$/]] },
  { name: 'apiVersion is required', base: goodPod, set: { apiVersion: undefined }, want: [['apiVersion', /^Required value$/]] },
  { name: 'kind must be a string', base: goodPod, set: { kind: 7 }, want: [['kind', /must be a string, not number 7/]] },
  { name: 'an unknown kind', base: goodPod, set: { kind: 'Widget' }, want: [['kind', /Unsupported value: "Widget": kip does not serve this kind/]] },
  {
    name: 'the wrong apiVersion for the kind',
    base: goodPod,
    set: { apiVersion: 'apps/v1' },
    want: [['apiVersion', /Invalid value: "apps\/v1": Pod is served as "v1"/]],
  },
  { name: 'metadata is required', base: goodPod, set: { metadata: undefined }, want: [['metadata', /^Required value$/]] },
  { name: 'metadata must be an object', base: goodPod, set: { metadata: 'web' }, want: [['metadata', /must be an object, not string "web"/]] },
  {
    name: 'a name or generateName is required',
    base: goodPod,
    set: { 'metadata.name': undefined },
    want: [['metadata.name', /Required value: name or generateName is required/]],
  },
  { name: 'an empty name counts as none', base: goodPod, set: { 'metadata.name': '' }, want: [['metadata.name', /name or generateName is required/]] },
  {
    name: 'a name must be a string',
    base: goodPod,
    set: { 'metadata.name': 42 },
    want: [
      ['metadata.name', /must be a string, not number 42/],
      ['metadata.name', /name or generateName is required/],
    ],
  },
  {
    name: 'a name must be a DNS subdomain',
    base: goodPod,
    set: { 'metadata.name': 'Web_1' },
    want: [['metadata.name', /Invalid value: "Web_1": a lowercase RFC 1123 subdomain/]],
  },
  {
    name: 'a name may not be longer than 253',
    base: goodPod,
    set: { 'metadata.name': 'a'.repeat(254) },
    want: [['metadata.name', /a lowercase RFC 1123 subdomain/]],
  },
  {
    name: 'generateName must make valid names',
    base: goodPod,
    set: { 'metadata.name': undefined, 'metadata.generateName': 'Web-' },
    want: [['metadata.generateName', /Invalid value: "Web-": must be a valid name prefix/]],
  },
  {
    name: 'a namespace must be a DNS label',
    base: goodPod,
    set: { 'metadata.namespace': 'my.ns' },
    want: [['metadata.namespace', /Invalid value: "my.ns": a namespace must be a lowercase RFC 1123 label/]],
  },
  {
    name: 'a label key must be valid',
    base: goodPod,
    set: { 'metadata.labels': { 'bad key': 'x' } },
    want: [['metadata.labels', /Invalid value: "bad key": a label key must consist of/]],
  },
  {
    name: 'a label value must be valid',
    base: goodPod,
    set: { 'metadata.labels': { app: '-web' } },
    want: [['metadata.labels.app', /Invalid value: "-web": a label value must be 63 characters or less/]],
  },
  {
    name: 'a label value must be a string',
    base: goodPod,
    set: { 'metadata.labels': { app: 3 } },
    want: [['metadata.labels.app', /must be a string, not number 3/]],
  },
  { name: 'labels must be a map', base: goodPod, set: { 'metadata.labels': ['app=web'] }, want: [['metadata.labels', /must be an object, not a list/]] },
  {
    name: 'an annotation value must be a string',
    base: goodPod,
    set: { 'metadata.annotations': { note: true } },
    want: [['metadata.annotations.note', /must be a string, not boolean true/]],
  },
  {
    name: 'an owner reference needs a uid',
    base: goodPod,
    set: { 'metadata.ownerReferences': [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc' }] },
    want: [['metadata.ownerReferences[0].uid', /^Required value$/]],
  },
  {
    name: 'owner references must be objects',
    base: goodPod,
    set: { 'metadata.ownerReferences': ['web-abc'] },
    want: [['metadata.ownerReferences[0]', /must be an object, not string "web-abc"/]],
  },
];

const podCases: Case[] = [
  {
    name: 'init containers may not have probes or lifecycle hooks, nor share a name with a container',
    base: goodPod,
    set: {
      'spec.initContainers': [
        { name: 'setup', command: ['true'], livenessProbe: { exec: { command: ['true'] } } },
        { name: 'web', command: ['true'], lifecycle: { postStart: { exec: { command: ['true'] } } } },
      ],
    },
    want: [
      ['spec.initContainers[0].livenessProbe', /^Forbidden: may not be set for init containers without restartPolicy=Always$/],
      ['spec.initContainers[1].lifecycle', /^Forbidden: may not be set for init containers without restartPolicy=Always$/],
      ['spec.initContainers[1].name', /^Duplicate value: "web"$/],
    ],
  },
  {
    name: 'restartPolicy is for init containers only, and only Always',
    base: goodPod,
    set: { 'spec.containers.0.restartPolicy': 'Always', 'spec.initContainers': [{ name: 'side', command: ['true'], restartPolicy: 'OnFailure' }] },
    want: [
      ['spec.containers[0].restartPolicy', /^Forbidden: may not be set for non-init containers$/],
      ['spec.initContainers[0].restartPolicy', /^Unsupported value: "OnFailure": supported values: "Always"$/],
    ],
  },
  {
    name: 'a lifecycle hook has exactly one handler, and an httpGet port the container declares',
    base: goodPod,
    set: {
      'spec.containers.0.lifecycle': { postStart: { exec: { command: ['true'] }, sleep: { seconds: 1 } }, preStop: { httpGet: { port: 'nope' } } },
    },
    want: [
      ['spec.containers[0].lifecycle.postStart', /must specify exactly one of exec, httpGet, sleep \(found 2\)/],
      ['spec.containers[0].lifecycle.preStop.httpGet.port', /Invalid value: "nope"/],
    ],
  },
  { name: 'a pod needs a spec', base: goodPod, set: { spec: undefined }, want: [['spec', /^Required value$/]] },
  { name: 'a pod needs containers', base: goodPod, set: { 'spec.containers': undefined }, want: [['spec.containers', /^Required value$/]] },
  {
    name: 'a pod needs at least one container',
    base: goodPod,
    set: { 'spec.containers': [] },
    want: [['spec.containers', /Required value: a pod needs at least one container/]],
  },
  {
    name: 'containers must be a list',
    base: goodPod,
    set: { 'spec.containers': { name: 'web' } },
    want: [['spec.containers', /must be a list, not an object/]],
  },
  { name: 'a container needs a name', base: goodPod, set: { 'spec.containers.0.name': undefined }, want: [[`${C0}.name`, /^Required value$/]] },
  {
    name: 'a container name must be a DNS label',
    base: goodPod,
    set: { 'spec.containers.0.name': 'Web' },
    want: [[`${C0}.name`, /Invalid value: "Web": a container name must be a lowercase RFC 1123 label/]],
  },
  {
    name: 'container names must be unique',
    base: goodPod,
    set: { 'spec.containers.1.name': 'web' },
    want: [['spec.containers[1].name', /Duplicate value: "web"/]],
  },
  {
    name: 'a container needs an image or a command',
    base: goodPod,
    set: { 'spec.containers.0.image': undefined },
    want: [[`${C0}.image`, /Required value: a container needs an image or a command/]],
  },
  {
    name: 'an empty command is no command',
    base: goodPod,
    set: { 'spec.containers.1.command': [] },
    want: [['spec.containers[1].image', /a container needs an image or a command/]],
  },
  {
    name: 'a command must be a list',
    base: goodPod,
    set: { 'spec.containers.1.command': 'sleep 1000' },
    want: [
      ['spec.containers[1].command', /must be a list, not string "sleep 1000"/],
      ['spec.containers[1].image', /a container needs an image or a command/],
    ],
  },
  { name: 'args must be strings', base: goodPod, set: { 'spec.containers.0.args': ['-n', 3] }, want: [[`${C0}.args[1]`, /must be a string, not number 3/]] },
  {
    name: 'an env name must be valid',
    base: goodPod,
    set: { 'spec.containers.0.env.0.name': '1MODE' },
    want: [[`${C0}.env[0].name`, /Invalid value: "1MODE": an environment variable name/]],
  },
  { name: 'an env entry needs a name', base: goodPod, set: { 'spec.containers.0.env.0.name': undefined }, want: [[`${C0}.env[0].name`, /^Required value$/]] },
  {
    name: 'an env value must be a string',
    base: goodPod,
    set: { 'spec.containers.0.env.0.value': 5 },
    want: [[`${C0}.env[0].value`, /must be a string, not number 5/]],
  },
  {
    name: 'a fieldRef names a supported field',
    base: goodPod,
    set: { 'spec.containers.0.env.1.valueFrom.fieldRef.fieldPath': 'spec.containers' },
    want: [[`${C0}.env[1].valueFrom.fieldRef.fieldPath`, /Unsupported value: "spec.containers": supported values: "metadata.name", "metadata.namespace"/]],
  },
  {
    name: 'valueFrom needs a source',
    base: goodPod,
    set: { 'spec.containers.0.env.1.valueFrom': {} },
    want: [[`${C0}.env[1].valueFrom`, /^Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`$/]],
  },
  {
    name: 'a container port is required',
    base: goodPod,
    set: { 'spec.containers.0.ports.0.containerPort': undefined },
    want: [[`${C0}.ports[0].containerPort`, /^Required value$/]],
  },
  {
    name: 'a container port is at most 65535',
    base: goodPod,
    set: { 'spec.containers.0.ports.0.containerPort': 70000 },
    want: [[`${C0}.ports[0].containerPort`, /must be less than or equal to 65535/]],
  },
  {
    name: 'a container port is at least 1',
    base: goodPod,
    set: { 'spec.containers.0.ports.0.containerPort': 0 },
    want: [[`${C0}.ports[0].containerPort`, /must be greater than or equal to 1/]],
  },
  {
    name: 'a container port is an integer',
    base: goodPod,
    set: { 'spec.containers.0.ports.0.containerPort': '8080' },
    want: [[`${C0}.ports[0].containerPort`, /must be an integer, not string "8080"/]],
  },
  {
    name: 'only TCP ports',
    base: goodPod,
    set: { 'spec.containers.0.ports.0.protocol': 'UDP' },
    want: [[`${C0}.ports[0].protocol`, /Unsupported value: "UDP": supported values: "TCP"/]],
  },
  {
    name: 'a port name needs a letter (and a probe naming another port fails)',
    base: goodPod,
    set: { 'spec.containers.0.ports.0.name': '8080' },
    want: [
      [`${C0}.ports[0].name`, /Invalid value: "8080": a port name must be at most 15 lowercase alphanumeric characters/],
      [`${C0}.readinessProbe.httpGet.port`, /Invalid value: "http": must be a port number or the name of a declared container port/],
    ],
  },
  {
    name: 'a port name is at most 15 characters',
    base: goodPod,
    set: {
      'spec.containers.0.ports': [
        { name: 'a-very-long-port-name', containerPort: 1 },
        { name: 'http', containerPort: 2 },
      ],
    },
    want: [[`${C0}.ports[0].name`, /at most 15/]],
  },
  {
    name: 'port names are unique',
    base: goodPod,
    set: {
      'spec.containers.0.ports': [
        { name: 'http', containerPort: 1 },
        { name: 'http', containerPort: 2 },
      ],
    },
    want: [[`${C0}.ports[1].name`, /Duplicate value: "http"/]],
  },
  {
    name: 'a request must be a quantity',
    base: goodPod,
    set: { 'spec.containers.0.resources.requests.cpu': 'lots' },
    want: [[`${C0}.resources.requests.cpu`, /Invalid value: "lots": must be a quantity such as "250m"/]],
  },
  {
    name: 'a limit must be a quantity',
    base: goodPod,
    set: { 'spec.containers.0.resources.limits.memory': '1 GB' },
    want: [[`${C0}.resources.limits.memory`, /Invalid value: "1 GB": must be a quantity/]],
  },
  {
    name: 'a request may not be negative',
    base: goodPod,
    set: { 'spec.containers.0.resources.requests.memory': '-64Mi' },
    want: [[`${C0}.resources.requests.memory`, /Invalid value: "-64Mi": must be greater than or equal to 0/]],
  },
  {
    name: 'an unknown resource',
    base: goodPod,
    set: { 'spec.containers.0.resources.requests.gpu': '1' },
    want: [[`${C0}.resources.requests.gpu`, /Unsupported value: "gpu"/]],
  },
  {
    name: 'a request may not exceed its limit',
    base: goodPod,
    set: { 'spec.containers.0.resources.requests.cpu': '2' },
    want: [[`${C0}.resources.requests`, /Invalid value: "2": must be less than or equal to cpu limit of 1/]],
  },
  {
    name: 'a request equal to its limit in other units is fine',
    base: goodPod,
    set: { 'spec.containers.0.resources.requests.cpu': '1000m', 'spec.containers.0.resources.limits.memory': '64Mi' },
    want: [],
  },
  {
    name: 'resources must be an object',
    base: goodPod,
    set: { 'spec.containers.0.resources': 'big' },
    want: [[`${C0}.resources`, /must be an object, not string "big"/]],
  },
  {
    name: 'a probe with two handlers',
    base: goodPod,
    set: { 'spec.containers.0.readinessProbe.tcpSocket': { port: 8080 } },
    want: [[`${C0}.readinessProbe`, /must specify exactly one of exec, httpGet, tcpSocket \(found 2\)/]],
  },
  {
    name: 'a probe with no handler',
    base: goodPod,
    set: { 'spec.containers.0.readinessProbe': { periodSeconds: 2 } },
    want: [[`${C0}.readinessProbe`, /exactly one of exec, httpGet, tcpSocket \(found 0\)/]],
  },
  {
    name: 'a probe period of 0',
    base: goodPod,
    set: { 'spec.containers.0.readinessProbe.periodSeconds': 0 },
    want: [[`${C0}.readinessProbe.periodSeconds`, /must be greater than or equal to 1/]],
  },
  {
    name: 'a negative initial delay',
    base: goodPod,
    set: { 'spec.containers.0.startupProbe.initialDelaySeconds': -1 },
    want: [[`${C0}.startupProbe.initialDelaySeconds`, /must be greater than or equal to 0/]],
  },
  {
    name: 'a failure threshold of 0',
    base: goodPod,
    set: { 'spec.containers.0.livenessProbe.failureThreshold': 0 },
    want: [[`${C0}.livenessProbe.failureThreshold`, /must be greater than or equal to 1/]],
  },
  {
    name: 'an exec probe without a command',
    base: goodPod,
    set: { 'spec.containers.0.startupProbe.exec.command': [] },
    want: [[`${C0}.startupProbe.exec.command`, /^Required value$/]],
  },
  {
    name: 'an httpGet probe on an undeclared port name',
    base: goodPod,
    set: { 'spec.containers.0.readinessProbe.httpGet.port': 'metrics' },
    want: [[`${C0}.readinessProbe.httpGet.port`, /Invalid value: "metrics": must be a port number or the name of a declared container port/]],
  },
  {
    name: 'an httpGet probe without a port',
    base: goodPod,
    set: { 'spec.containers.0.readinessProbe.httpGet.port': undefined },
    want: [[`${C0}.readinessProbe.httpGet.port`, /^Required value$/]],
  },
  {
    name: 'an httpGet probe over HTTPS',
    base: goodPod,
    set: { 'spec.containers.0.readinessProbe.httpGet.scheme': 'HTTPS' },
    want: [[`${C0}.readinessProbe.httpGet.scheme`, /Unsupported value: "HTTPS": supported values: "HTTP"/]],
  },
  {
    name: 'a tcpSocket probe on port 0',
    base: goodPod,
    set: { 'spec.containers.0.livenessProbe.tcpSocket.port': 0 },
    want: [[`${C0}.livenessProbe.tcpSocket.port`, /must be greater than or equal to 1/]],
  },
  {
    name: 'a probe port that is neither number nor name',
    base: goodPod,
    set: { 'spec.containers.0.livenessProbe.tcpSocket.port': true },
    want: [[`${C0}.livenessProbe.tcpSocket.port`, /must be a port number or name, not boolean true/]],
  },
  {
    name: 'an unknown restart policy',
    base: goodPod,
    set: { 'spec.restartPolicy': 'Sometimes' },
    want: [['spec.restartPolicy', /Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"/]],
  },
  {
    name: 'a negative grace period',
    base: goodPod,
    set: { 'spec.terminationGracePeriodSeconds': -1 },
    want: [['spec.terminationGracePeriodSeconds', /must be greater than or equal to 0/]],
  },
  {
    name: 'a fractional grace period',
    base: goodPod,
    set: { 'spec.terminationGracePeriodSeconds': 1.5 },
    want: [['spec.terminationGracePeriodSeconds', /must be an integer, not number 1.5/]],
  },
  {
    name: 'an invalid node name',
    base: goodPod,
    set: { 'spec.nodeName': 'Node_1' },
    want: [['spec.nodeName', /Invalid value: "Node_1": must be a valid node name/]],
  },
  {
    name: 'a node selector value must be a string',
    base: goodPod,
    set: { 'spec.nodeSelector.zone': 1 },
    want: [['spec.nodeSelector.zone', /must be a string, not number 1/]],
  },
  {
    name: 'a priority must be an integer',
    base: goodPod,
    set: { 'spec.priority': 'high' },
    want: [['spec.priority', /must be an integer, not string "high"/]],
  },
  {
    name: 'a toleration operator',
    base: goodPod,
    set: { 'spec.tolerations.0.operator': 'Maybe' },
    want: [['spec.tolerations[0].operator', /Unsupported value: "Maybe": supported values: "Exists", "Equal"/]],
  },
  {
    name: 'a toleration effect',
    base: goodPod,
    set: { 'spec.tolerations.0.effect': 'NoRun' },
    want: [['spec.tolerations[0].effect', /Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"/]],
  },
  {
    name: 'an Exists toleration with a value',
    base: goodPod,
    set: { 'spec.tolerations.1.value': 'x' },
    want: [['spec.tolerations[1].value', /Invalid value: must be empty when operator is Exists/]],
  },
  {
    name: 'tolerationSeconds must be an integer',
    base: goodPod,
    set: { 'spec.tolerations.1.tolerationSeconds': '30s' },
    want: [['spec.tolerations[1].tolerationSeconds', /must be an integer, not string "30s"/]],
  },
  {
    name: 'required node affinity needs terms',
    base: goodPod,
    set: { 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution': {} },
    want: [[TERMS, /^Required value$/]],
  },
  {
    name: 'a node selector requirement needs an operator',
    base: goodPod,
    set: { 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0.operator': undefined },
    want: [[`${TERMS}[0].matchExpressions[0].operator`, /^Required value$/]],
  },
  {
    name: 'In needs values',
    base: goodPod,
    set: {
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions': [{ key: 'zone', operator: 'In' }],
    },
    want: [[`${TERMS}[0].matchExpressions[0].values`, /Required value: must be specified when operator is In or NotIn/]],
  },
  {
    name: 'Exists takes no values',
    base: goodPod,
    set: {
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions': [
        { key: 'zone', operator: 'Exists', values: ['a'] },
      ],
    },
    want: [[`${TERMS}[0].matchExpressions[0].values`, /Forbidden: may not be specified when operator is Exists or DoesNotExist/]],
  },
  {
    name: 'Gt takes one integer',
    base: goodPod,
    set: { 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0.values': ['two'] },
    want: [[`${TERMS}[0].matchExpressions[0].values`, /Invalid value: must be a single integer when operator is Gt or Lt/]],
  },
  {
    name: 'an unknown node selector operator',
    base: goodPod,
    set: { 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0.operator': 'Near' },
    want: [[`${TERMS}[0].matchExpressions[0].operator`, /Unsupported value: "Near"/]],
  },
  {
    name: 'matchFields are checked like matchExpressions',
    base: goodPod,
    set: { 'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.preference.matchFields.0.key': undefined },
    want: [[`${PREFERRED}[0].preference.matchFields[0].key`, /^Required value$/]],
  },
  {
    name: 'a preference weight of 0',
    base: goodPod,
    set: { 'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.weight': 0 },
    want: [[`${PREFERRED}[0].weight`, /must be greater than or equal to 1/]],
  },
  {
    name: 'a preference weight over 100',
    base: goodPod,
    set: { 'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.weight': 101 },
    want: [[`${PREFERRED}[0].weight`, /must be less than or equal to 100/]],
  },
  {
    name: 'a preference without a weight',
    base: goodPod,
    set: { 'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.weight': undefined },
    want: [[`${PREFERRED}[0].weight`, /^Required value$/]],
  },
  {
    name: 'a preference without a term',
    base: goodPod,
    set: { 'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.preference': undefined },
    want: [[`${PREFERRED}[0].preference`, /^Required value$/]],
  },
];

const DEPLOY_TEMPLATE = 'spec.template.spec';
const workloadCases: Case[] = [
  { name: 'negative replicas', base: goodDeployment, set: { 'spec.replicas': -1 }, want: [['spec.replicas', /must be greater than or equal to 0/]] },
  { name: 'replicas as a string', base: goodDeployment, set: { 'spec.replicas': '3' }, want: [['spec.replicas', /must be an integer, not string "3"/]] },
  {
    name: 'a negative minReadySeconds',
    base: goodDeployment,
    set: { 'spec.minReadySeconds': -1 },
    want: [['spec.minReadySeconds', /must be greater than or equal to 0/]],
  },
  { name: 'a selector is required', base: goodDeployment, set: { 'spec.selector': undefined }, want: [['spec.selector', /^Required value$/]] },
  {
    name: 'an empty selector would select every pod',
    base: goodDeployment,
    set: { 'spec.selector': {} },
    want: [['spec.selector', /Invalid value: empty selector is invalid for a workload/]],
  },
  {
    name: 'the selector must match the template labels',
    base: goodDeployment,
    set: { 'spec.selector.matchLabels.app': 'db' },
    want: [['spec.template.metadata.labels', /`selector` does not match template `labels`/]],
  },
  {
    name: 'template labels missing',
    base: goodDeployment,
    set: { 'spec.template.metadata': undefined },
    want: [['spec.template.metadata.labels', /`selector` does not match template `labels`/]],
  },
  {
    name: 'an unknown selector operator (which then cannot match)',
    base: goodDeployment,
    set: { 'spec.selector.matchExpressions.0.operator': 'Gt' },
    want: [
      ['spec.selector.matchExpressions[0].operator', /Unsupported value: "Gt": supported values: "In", "NotIn", "Exists", "DoesNotExist"/],
      ['spec.template.metadata.labels', /`selector` does not match/],
    ],
  },
  {
    name: 'a selector expression needs a key',
    base: goodDeployment,
    set: { 'spec.selector.matchExpressions.0.key': undefined },
    want: [['spec.selector.matchExpressions[0].key', /^Required value$/]],
  },
  {
    name: 'an invalid template label',
    base: goodDeployment,
    set: { 'spec.template.metadata.labels.track': '-stable' },
    want: [['spec.template.metadata.labels.track', /Invalid value: "-stable": a label value/]],
  },
  { name: 'a template is required', base: goodDeployment, set: { 'spec.template': undefined }, want: [['spec.template', /^Required value$/]] },
  { name: 'a template needs a pod spec', base: goodDeployment, set: { 'spec.template.spec': undefined }, want: [[DEPLOY_TEMPLATE, /^Required value$/]] },
  {
    name: 'the template pod spec is validated',
    base: goodDeployment,
    set: { 'spec.template.spec.containers.0.image': undefined },
    want: [[`${DEPLOY_TEMPLATE}.containers[0].image`, /a container needs an image or a command/]],
  },
  {
    name: 'template pods must restart Always',
    base: goodDeployment,
    set: { 'spec.template.spec.restartPolicy': 'Never' },
    want: [[`${DEPLOY_TEMPLATE}.restartPolicy`, /Unsupported value: "Never": supported values: "Always"/]],
  },
  {
    name: 'an unknown strategy',
    base: goodDeployment,
    set: { 'spec.strategy.type': 'BlueGreen' },
    want: [['spec.strategy.type', /Unsupported value: "BlueGreen": supported values: "RollingUpdate", "Recreate"/]],
  },
  {
    name: 'Recreate with rollingUpdate',
    base: goodDeployment,
    set: { 'spec.strategy.type': 'Recreate' },
    want: [['spec.strategy.rollingUpdate', /Forbidden: may not be specified when strategy `type` is 'Recreate'/]],
  },
  {
    name: 'maxSurge without a percent sign',
    base: goodDeployment,
    set: { 'spec.strategy.rollingUpdate.maxSurge': '25' },
    want: [['spec.strategy.rollingUpdate.maxSurge', /Invalid value: "25": must be a non-negative integer or a percentage/]],
  },
  {
    name: 'a negative maxUnavailable',
    base: goodDeployment,
    set: { 'spec.strategy.rollingUpdate.maxUnavailable': -1 },
    want: [['spec.strategy.rollingUpdate.maxUnavailable', /Invalid value: -1: must be a non-negative integer or a percentage/]],
  },
  {
    name: 'maxSurge and maxUnavailable both 0',
    base: goodDeployment,
    set: { 'spec.strategy.rollingUpdate.maxSurge': 0, 'spec.strategy.rollingUpdate.maxUnavailable': '0%' },
    want: [['spec.strategy.rollingUpdate.maxUnavailable', /Invalid value: may not be 0 when `maxSurge` is 0/]],
  },
  {
    name: 'a negative revisionHistoryLimit',
    base: goodDeployment,
    set: { 'spec.revisionHistoryLimit': -1 },
    want: [['spec.revisionHistoryLimit', /must be greater than or equal to 0/]],
  },
  { name: 'paused must be a boolean', base: goodDeployment, set: { 'spec.paused': 'yes' }, want: [['spec.paused', /must be true or false, not string "yes"/]] },
  {
    name: 'a ReplicaSet is served as apps/v1',
    base: goodReplicaSet,
    set: { apiVersion: 'extensions/v1beta1' },
    want: [['apiVersion', /Invalid value: "extensions\/v1beta1": ReplicaSet is served as "apps\/v1"/]],
  },
  {
    name: 'ReplicaSet replicas must be whole',
    base: goodReplicaSet,
    set: { 'spec.replicas': 1.5 },
    want: [['spec.replicas', /must be an integer, not number 1.5/]],
  },
  {
    name: 'a ReplicaSet selector must match its template',
    base: goodReplicaSet,
    set: { 'spec.template.metadata.labels': { app: 'other' } },
    want: [['spec.template.metadata.labels', /`selector` does not match template `labels`/]],
  },
  { name: 'a ReplicaSet needs a spec', base: goodReplicaSet, set: { spec: undefined }, want: [['spec', /^Required value$/]] },
];

const serviceCases: Case[] = [
  { name: 'a service needs a spec', base: goodService, set: { spec: undefined }, want: [['spec', /^Required value$/]] },
  { name: 'a service needs ports', base: goodService, set: { 'spec.ports': undefined }, want: [['spec.ports', /^Required value$/]] },
  {
    name: 'a service needs at least one port',
    base: goodService,
    set: { 'spec.ports': [] },
    want: [['spec.ports', /Required value: a service needs at least one port/]],
  },
  { name: 'a port number is required', base: goodService, set: { 'spec.ports.0.port': undefined }, want: [['spec.ports[0].port', /^Required value$/]] },
  {
    name: 'a port number is at least 1',
    base: goodService,
    set: { 'spec.ports.0.port': 0 },
    want: [['spec.ports[0].port', /must be greater than or equal to 1/]],
  },
  {
    name: 'only TCP',
    base: goodService,
    set: { 'spec.ports.0.protocol': 'SCTP' },
    want: [['spec.ports[0].protocol', /Unsupported value: "SCTP": supported values: "TCP"/]],
  },
  {
    name: 'a port name must be a DNS label',
    base: goodService,
    set: { 'spec.ports.0.name': 'HTTP' },
    want: [['spec.ports[0].name', /Invalid value: "HTTP": a port name must be a lowercase RFC 1123 label/]],
  },
  { name: 'port names are unique', base: goodService, set: { 'spec.ports.1.name': 'http' }, want: [['spec.ports[1].name', /Duplicate value: "http"/]] },
  {
    name: 'ports are named when there are several',
    base: goodService,
    set: { 'spec.ports.1.name': undefined },
    want: [['spec.ports[1].name', /Required value: ports must be named when a service has more than one/]],
  },
  {
    name: 'a targetPort name must be a port name',
    base: goodService,
    set: { 'spec.ports.0.targetPort': 'Web_Port' },
    want: [['spec.ports[0].targetPort', /Invalid value: "Web_Port": must be a port number or a container port name/]],
  },
  {
    name: 'a targetPort number is at most 65535',
    base: goodService,
    set: { 'spec.ports.1.targetPort': 65536 },
    want: [['spec.ports[1].targetPort', /must be less than or equal to 65535/]],
  },
  {
    name: 'a targetPort of another type',
    base: goodService,
    set: { 'spec.ports.1.targetPort': true },
    want: [['spec.ports[1].targetPort', /Invalid value: true: must be a port number or a container port name/]],
  },
  {
    name: 'a known service type',
    base: goodService,
    set: { 'spec.type': 'Cluster' },
    want: [['spec.type', /Unsupported value: "Cluster": supported values: "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"/]],
  },
  {
    name: 'a session affinity',
    base: goodService,
    set: { 'spec.sessionAffinity': 'Sticky' },
    want: [['spec.sessionAffinity', /Unsupported value: "Sticky": supported values: "None", "ClientIP"/]],
  },
  {
    name: 'a cluster IP that is no address',
    base: goodService,
    set: { 'spec.clusterIP': '10.96.300.1' },
    want: [['spec.clusterIP', /Invalid value: "10.96.300.1": must be a valid IP address/]],
  },
  {
    name: 'a cluster IP with a bad last octet',
    base: goodService,
    set: { 'spec.clusterIP': '10.96.0.256' },
    want: [['spec.clusterIP', /must be a valid IP address/]],
  },
  {
    name: 'a selector value must be a label value',
    base: goodService,
    set: { 'spec.selector.app': 'web app' },
    want: [['spec.selector.app', /Invalid value: "web app": a label value/]],
  },
];

const nodeCases: Case[] = [
  { name: 'a node spec must be an object', base: goodNode, set: { spec: 'x' }, want: [['spec', /must be an object, not string "x"/]] },
  {
    name: 'unschedulable must be a boolean',
    base: goodNode,
    set: { 'spec.unschedulable': 'yes' },
    want: [['spec.unschedulable', /must be true or false, not string "yes"/]],
  },
  { name: 'a podCIDR must be a string', base: goodNode, set: { 'spec.podCIDR': 24 }, want: [['spec.podCIDR', /must be a string, not number 24/]] },
  { name: 'taints must be a list', base: goodNode, set: { 'spec.taints': { key: 'x' } }, want: [['spec.taints', /must be a list, not an object/]] },
  { name: 'a taint needs a key', base: goodNode, set: { 'spec.taints.0.key': undefined }, want: [['spec.taints[0].key', /^Required value$/]] },
  {
    name: 'a taint key must be a label key',
    base: goodNode,
    set: { 'spec.taints.0.key': '-dedicated' },
    want: [['spec.taints[0].key', /Invalid value: "-dedicated": must be a valid label key/]],
  },
  { name: 'a taint needs an effect', base: goodNode, set: { 'spec.taints.0.effect': undefined }, want: [['spec.taints[0].effect', /^Required value$/]] },
  { name: 'a taint effect', base: goodNode, set: { 'spec.taints.0.effect': 'NoRun' }, want: [['spec.taints[0].effect', /Unsupported value: "NoRun"/]] },
  { name: 'a node name must be a DNS subdomain', base: goodNode, set: { 'metadata.name': 'Node 1' }, want: [['metadata.name', /Invalid value: "Node 1"/]] },
];

const eventCases: Case[] = [
  { name: 'an event needs an involvedObject', base: goodEvent, set: { involvedObject: undefined }, want: [['involvedObject', /^Required value$/]] },
  {
    name: 'an involvedObject must be an object',
    base: goodEvent,
    set: { involvedObject: 'pod/web' },
    want: [['involvedObject', /must be an object, not string "pod\/web"/]],
  },
  { name: 'an event type', base: goodEvent, set: { type: 'Info' }, want: [['type', /Unsupported value: "Info": supported values: "Normal", "Warning"/]] },
  { name: 'a reason must be a string', base: goodEvent, set: { reason: 5 }, want: [['reason', /must be a string, not number 5/]] },
  { name: 'a message must be a string', base: goodEvent, set: { message: ['x'] }, want: [['message', /must be a string, not a list/]] },
];

describe('shared/api/validation', () => {
  describe('good manifests pass', () => {
    const good: [string, () => Obj][] = [
      ['a Pod using every validated field', goodPod],
      ['a Deployment', goodDeployment],
      ['a ReplicaSet', goodReplicaSet],
      ['a Service', goodService],
      ['a Node', goodNode],
      ['an Event', goodEvent],
      ['a Pod with only generateName', () => setPath(setPath(goodPod(), 'metadata.name', undefined), 'metadata.generateName', 'web-')],
      [
        'a minimal Pod with a command',
        () => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', command: ['true'] }] } }),
      ],
      ['a headless Service', () => setPath(goodService(), 'spec.clusterIP', 'None')],
      [
        'a Service with one unnamed port and no selector',
        () => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } }),
      ],
      ['a Service at the top of its range', () => setPath(goodService(), 'spec.clusterIP', '10.96.255.255')],
      ['a Recreate Deployment', () => setPath(goodDeployment(), 'spec.strategy', { type: 'Recreate' })],
      ['a Deployment with percentages', () => setPath(goodDeployment(), 'spec.strategy.rollingUpdate', { maxSurge: '0%', maxUnavailable: '100%' })],
      ['a Node without spec', () => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' } })],
      ['a Node with a namespace (dropped by defaulting)', () => setPath(goodNode(), 'metadata.namespace', 'Not A Label')],
      ['unknown fields, which are kept', () => setPath(goodPod(), 'spec.hostNetwork', true)],
      [
        'a sidecar: an init container with restartPolicy Always, probes and hooks',
        () =>
          setPath(goodPod(), 'spec.initContainers', [
            {
              name: 'side',
              command: ['true'],
              restartPolicy: 'Always',
              readinessProbe: { exec: { command: ['true'] } },
              lifecycle: { preStop: { sleep: { seconds: 1 } } },
            },
          ]),
      ],
    ];
    for (const [name, make] of good) it(name, () => assert.deepEqual(validateObject(make()), []));
  });

  describe('refuses a body that is not an object', () => {
    const bodies: [unknown, RegExp][] = [
      [null, /not null$/],
      [[1], /not a list$/],
      ['pod', /not string "pod"$/],
      [3, /not number 3$/],
    ];
    for (const [body, message] of bodies) {
      it(JSON.stringify(body), () => {
        const errors = validateObject(body);
        assert.equal(errors.length, 1);
        assert.equal(errors[0]!.field, '');
        assert.match(errors[0]!.message, /^the body must be a JSON or YAML object, /);
        assert.match(errors[0]!.message, message);
      });
    }
  });

  for (const [group, cases] of [
    ['object and metadata', objectCases],
    ['Pod', podCases],
    ['Deployment and ReplicaSet', workloadCases],
    ['Service', serviceCases],
    ['Node', nodeCases],
    ['Event', eventCases],
  ] as const) {
    describe(`refuses a bad ${group}`, () => {
      for (const c of cases) it(c.name, () => check(c));
    });
  }

  it('reports every error of a body at once', () => {
    const pod = goodPod();
    setPath(pod, 'metadata.name', 'Bad');
    setPath(pod, 'spec.restartPolicy', 'Sometimes');
    setPath(pod, 'spec.containers.0.ports.0.containerPort', 0);
    const fields = validateObject(pod).map((e: FieldError) => e.field);
    assert.deepEqual(fields, ['metadata.name', `${C0}.ports[0].containerPort`, 'spec.restartPolicy']);
  });

  it('formatFieldErrors lists them as the API server does', () => {
    assert.equal(
      formatFieldErrors('Pod', 'web', [
        { field: 'spec.containers', message: 'Required value' },
        { field: '', message: 'the body must be an object' },
      ]),
      'Pod "web" is invalid: spec.containers: Required value, the body must be an object',
    );
  });
});
