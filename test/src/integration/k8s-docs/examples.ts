// The Kubernetes documentation's examples that kip runs, as written: each file under
// test/fixtures/k8s-docs/ is a manifest from kubernetes/website's content/en/examples/, unchanged,
// and each entry here says where it came from, what the docs tell a user they will see, and how
// the test observes that. The README's table of docs examples is this list.

/** What a user is told they will see, in terms the test can check through the API and kubectl. */
export type Expectation =
  /** The pod reaches this phase (Running also waits for Ready when `ready` is set). */
  | { pod: string; phase: 'Running' | 'Succeeded' | 'Failed' | 'Pending'; ready?: boolean }
  /** The pod's log (of its first container, or `container`) matches. */
  | { pod: string; log: RegExp; container?: string }
  /** The container was restarted at least this many times (by a probe or a crash). */
  | { pod: string; restartsAtLeast: number }
  /** The container's last termination had this reason (OOMKilled, Error, Completed). */
  | { pod: string; lastTerminated: string }
  /** The container waits with one of these reasons (ErrImagePull, ImagePullBackOff, ...). */
  | { pod: string; waiting: RegExp }
  /** The pod is unschedulable, and the scheduler says why in these words. */
  | { pod: string; unschedulable: RegExp }
  /** A field of the pod, by dotted path (status.qosClass), equals this. */
  | { pod: string; field: string; equals: string }
  /** `kubectl top pod POD` shows a CPU use above zero and at most this many millicores (its limit, with the sampling's slack). */
  | { top: string; cpuAtMost: number }
  /** `kubectl exec POD -- command...` prints this. */
  | { exec: string; command: string[]; output: RegExp }
  /** A workload's status: readyReplicas (Deployment/ReplicaSet/StatefulSet) or numberReady (DaemonSet). */
  | { workload: string; ready: number }
  /** So many pods match the selector, on so many distinct nodes at least. */
  | { selector: string; pods: number; nodes?: number }
  /**
   * The Job reaches this condition; with `reason`, its "reason: message" matches; with `fields`, the
   * Job's fields by dotted path (status.failedIndexes) equal these; with `log`, its pod's log matches.
   */
  | { job: string; condition: 'Complete' | 'Failed'; reason?: RegExp; fields?: Record<string, string>; log?: RegExp }
  /** A CronJob has created a Job that completed, with this log. */
  | { cronjob: string; log: RegExp }
  /** A PersistentVolumeClaim is Bound. */
  | { claim: string; bound: true }
  /** A pod of the namespace GETting this URL (busybox wget) prints this. */
  | { http: string; body: RegExp }
  /** GET http://EXTERNAL-IP:port/ of this LoadBalancer Service from the host, as the docs' curl, answers this. */
  | { loadBalancer: string; port: number; body: RegExp }
  /** A PodDisruptionBudget reports this many disruptions allowed. */
  | { pdb: string; disruptionsAllowed: number };

export interface DocsExample {
  /** The file under test/fixtures/k8s-docs/. */
  file: string;
  /** Where it comes from: kubernetes/website path and the commit it was taken at. */
  source: string;
  /** What the docs say a user will see. */
  docs: string;
  /** Manifests applied before this one, into the same namespace (a ConfigMap the pod reads). */
  needs?: string[];
  /** The namespace the manifest names itself (the docs create it first); otherwise one of its own. */
  namespace?: string;
  /** A step the docs ask for before applying (kubectl args, run against the cluster). */
  before?: string[][];
  /** Steps the docs take after applying (kubectl args, run in the example's namespace). */
  after?: string[][];
  expect: Expectation[];
}

const W = 'kubernetes/website content/en/examples/';

export const DOCS_EXAMPLES: DocsExample[] = [
  {
    file: 'simple-pod.yaml',
    source: `${W}pods/simple-pod.yaml @6ef03d7`,
    docs: 'A Pod running nginx 1.14.2 on port 80.',
    expect: [
      { pod: 'nginx', phase: 'Running', ready: true },
      { http: 'http://{podIP:nginx}/', body: /Welcome to nginx!/ },
    ],
  },
  {
    file: 'commands.yaml',
    source: `${W}pods/commands.yaml @6ef03d7`,
    docs: 'The output shows the values of the HOSTNAME and KUBERNETES_PORT environment variables: "command-demo" and "tcp://10.3.240.1:443".',
    expect: [
      { pod: 'command-demo', phase: 'Succeeded' },
      { pod: 'command-demo', log: /^command-demo\ntcp:\/\/[0-9.]+:\d+\n/ },
    ],
  },
  {
    file: 'dapi-envars-pod.yaml',
    source: `${W}pods/inject/dapi-envars-pod.yaml @81dca13`,
    docs: "The container's log shows the node name, pod name, namespace, pod IP and service account from the downward API.",
    expect: [
      { pod: 'dapi-envars-fieldref', phase: 'Running' },
      { pod: 'dapi-envars-fieldref', log: /node-\d+\ndapi-envars-fieldref\n[a-z0-9-]+\n[0-9.]+\ndefault\n/ },
    ],
  },
  {
    file: 'dapi-volume.yaml',
    source: `${W}pods/inject/dapi-volume.yaml @81dca13`,
    docs: 'The log shows the labels and annotations written by the downwardAPI volume at /etc/podinfo.',
    expect: [
      { pod: 'kubernetes-downwardapi-volume-example', phase: 'Running' },
      { pod: 'kubernetes-downwardapi-volume-example', log: /cluster="test-cluster1"\nrack="rack-22"\nzone="us-est-coast"/ },
      { pod: 'kubernetes-downwardapi-volume-example', log: /build="two"\nbuilder="john-doe"/ },
    ],
  },
  {
    file: 'dependent-envars.yaml',
    source: `${W}pods/inject/dependent-envars.yaml @1beb32d`,
    docs: 'SERVICE_ADDRESS is https://172.17.0.1:80; UNCHANGE_REFERENCE is empty (a typo in the example); ESCAPED_REFERENCE is $(PROTOCOL)://172.17.0.1:80.',
    expect: [
      { pod: 'dependent-envars-demo', phase: 'Running' },
      {
        pod: 'dependent-envars-demo',
        log: /SERVICE_ADDRESS\nhttps:\/\/172\.17\.0\.1:80\nUNCHANGE_REFERENCE\nESCAPED_REFERENCE\n\$\(PROTOCOL\):\/\/172\.17\.0\.1:80/,
      },
    ],
  },
  {
    file: 'envars.yaml',
    source: `${W}pods/inject/envars.yaml @7a090ad`,
    docs: '`kubectl exec envar-demo -- printenv` lists DEMO_GREETING=Hello from the environment.',
    expect: [
      { pod: 'envar-demo', phase: 'Running' },
      {
        exec: 'envar-demo',
        command: ['printenv'],
        output: /^(?=[\s\S]*^DEMO_GREETING=Hello from the environment$)(?=[\s\S]*^DEMO_FAREWELL=Such a sweet sorrow$)/m,
      },
    ],
  },
  {
    file: 'lifecycle-events.yaml',
    source: `${W}pods/lifecycle-events.yaml @81dca13`,
    docs: 'The postStart handler wrote /usr/share/message: `cat /usr/share/message` prints "Hello from the postStart handler".',
    expect: [
      { pod: 'lifecycle-demo', phase: 'Running' },
      { exec: 'lifecycle-demo', command: ['cat', '/usr/share/message'], output: /^Hello from the postStart handler\n$/ },
    ],
  },
  {
    file: 'exec-liveness.yaml',
    source: `${W}pods/probe/exec-liveness.yaml @7a090ad`,
    docs: 'After 35 seconds the liveness probe fails ("cat: /tmp/healthy: No such file or directory") and the container is restarted.',
    expect: [{ pod: 'liveness-exec', restartsAtLeast: 1 }],
  },
  {
    file: 'http-liveness.yaml',
    source: `${W}pods/probe/http-liveness.yaml @7a090ad`,
    docs: 'agnhost liveness answers 200 for 10 seconds, then 500; the kubelet restarts the container.',
    expect: [{ pod: 'liveness-http', restartsAtLeast: 1 }],
  },
  {
    file: 'tcp-liveness-readiness.yaml',
    source: `${W}pods/probe/tcp-liveness-readiness.yaml @3389c10`,
    docs: 'After 15 seconds the TCP readiness probe succeeds and the goproxy pod is Ready.',
    expect: [{ pod: 'goproxy', phase: 'Running', ready: true }],
  },
  {
    file: 'memory-request-limit.yaml',
    source: `${W}pods/resource/memory-request-limit.yaml @7a090ad`,
    namespace: 'mem-example',
    docs: 'The container uses about 150 MiB, within its 200 MiB limit, and keeps running.',
    expect: [{ pod: 'memory-demo', phase: 'Running' }],
  },
  {
    file: 'memory-request-limit-2.yaml',
    source: `${W}pods/resource/memory-request-limit-2.yaml @5712187`,
    namespace: 'mem-example',
    docs: 'The container tries to allocate 250 MiB over its 100 MiB limit: it is OOMKilled and restarted.',
    expect: [
      { pod: 'memory-demo-2', lastTerminated: 'OOMKilled' },
      { pod: 'memory-demo-2', restartsAtLeast: 1 },
    ],
  },
  {
    file: 'memory-request-limit-3.yaml',
    source: `${W}pods/resource/memory-request-limit-3.yaml @81dca13`,
    namespace: 'mem-example',
    docs: 'The pod requests 1000 GiB: it stays Pending, "0/N nodes are available: N Insufficient memory".',
    expect: [{ pod: 'memory-demo-3', unschedulable: /^0\/\d+ nodes are available: \d+ Insufficient memory/ }],
  },
  {
    file: 'cpu-request-limit.yaml',
    source: `${W}pods/resource/cpu-request-limit.yaml @7a090ad`,
    namespace: 'cpu-example',
    docs: 'vish/stress tries to use 2 CPUs; the container runs, throttled to its 1 CPU limit: `kubectl top pod` shows about 1000m.',
    expect: [
      { pod: 'cpu-demo', phase: 'Running' },
      { top: 'cpu-demo', cpuAtMost: 1200 },
    ],
  },
  {
    file: 'qos-pod.yaml',
    source: `${W}pods/qos/qos-pod.yaml @5712187`,
    namespace: 'qos-example',
    docs: "Requests equal limits for cpu and memory: the pod's qosClass is Guaranteed.",
    expect: [
      { pod: 'qos-demo', phase: 'Running' },
      { pod: 'qos-demo', field: 'status.qosClass', equals: 'Guaranteed' },
    ],
  },
  {
    file: 'busybox.yaml',
    source: `${W}admin/dns/busybox.yaml @81dca13`,
    namespace: 'default',
    docs: 'A busybox pod that sleeps for an hour, used to run commands in the cluster.',
    expect: [
      { pod: 'busybox', phase: 'Running' },
      { exec: 'busybox', command: ['sh', '-c', 'echo hello from $(hostname)'], output: /^hello from busybox\n$/ },
    ],
  },
  {
    file: 'pod-nginx.yaml',
    source: `${W}pods/pod-nginx.yaml @81dca13`,
    docs: 'With nodeSelector disktype=ssd the pod runs on the node labelled so (`kubectl label nodes <node> disktype=ssd`).',
    before: [['label', 'nodes', 'node-2', 'disktype=ssd', '--overwrite']],
    expect: [
      { pod: 'nginx', phase: 'Running' },
      { pod: 'nginx', field: 'spec.nodeName', equals: 'node-2' },
    ],
  },
  {
    file: 'pod-with-toleration.yaml',
    source: `${W}pods/pod-with-toleration.yaml @81dca13`,
    docs: 'A pod that tolerates the example-key taint; with no such taint it runs anywhere.',
    expect: [{ pod: 'nginx', phase: 'Running' }],
  },
  {
    file: 'pod-with-pod-affinity.yaml',
    source: `${W}pods/pod-with-pod-affinity.yaml @ba191c2`,
    docs: 'Required pod affinity to pods labelled security=S1 in the same zone: with none, the pod stays Pending.',
    expect: [{ pod: 'with-pod-affinity', unschedulable: /didn't match pod affinity rules/ }],
  },
  {
    file: 'nginx-deployment.yaml',
    source: `${W}controllers/nginx-deployment.yaml @3389c10`,
    docs: 'A Deployment with 3 nginx replicas, all available.',
    expect: [{ workload: 'deployment/nginx-deployment', ready: 3 }],
  },
  {
    file: 'deployment.yaml',
    source: `${W}application/deployment.yaml @8be2592`,
    docs: 'A Deployment with 2 nginx 1.14.2 replicas, all available.',
    expect: [{ workload: 'deployment/nginx-deployment', ready: 2 }],
  },
  {
    file: 'run-my-nginx.yaml',
    source: `${W}service/networking/run-my-nginx.yaml @7a090ad`,
    needs: ['nginx-svc.yaml'],
    docs: 'Two nginx pods behind the my-nginx Service; the Service answers with the nginx welcome page.',
    expect: [
      { workload: 'deployment/my-nginx', ready: 2 },
      { http: 'http://my-nginx/', body: /Welcome to nginx!/ },
    ],
  },
  {
    file: 'shell-demo.yaml',
    source: `${W}application/shell-demo.yaml @3e32e4f`,
    docs: 'An nginx pod with an emptyDir at its document root: a file written there with kubectl exec is served.',
    expect: [
      { pod: 'shell-demo', phase: 'Running' },
      { exec: 'shell-demo', command: ['sh', '-c', 'echo Hello shell demo > /usr/share/nginx/html/index.html'], output: /^$/ },
      { http: 'http://{podIP:shell-demo}/', body: /Hello shell demo/ },
    ],
  },
  {
    file: 'shared-volume.yaml',
    source: `${W}pods/multi-container/shared-volume.yaml @06bc333`,
    docs: 'An init container writes index.html into a shared emptyDir; nginx serves "Hello from the init container".',
    expect: [
      { pod: 'shared-volume-example', phase: 'Running' },
      { http: 'http://{podIP:shared-volume-example}/', body: /Hello from the init container/ },
    ],
  },
  {
    file: 'pod-configmap-volume.yaml',
    source: `${W}pods/pod-configmap-volume.yaml @6ef03d7`,
    namespace: 'default',
    needs: ['configmaps.yaml'],
    docs: "`ls /etc/config/` lists the ConfigMap's key: special.how.",
    expect: [
      { pod: 'dapi-test-pod', phase: 'Succeeded' },
      { pod: 'dapi-test-pod', log: /^special\.how\n$/ },
    ],
  },
  {
    file: 'secret-envars-pod.yaml',
    source: `${W}pods/inject/secret-envars-pod.yaml @7a090ad`,
    needs: ['secret.yaml'],
    docs: '`echo $SECRET_USERNAME` in the container prints my-app; SECRET_PASSWORD is 39528$vdg7Jb.',
    expect: [
      { pod: 'secret-envars-test-pod', phase: 'Running' },
      { exec: 'secret-envars-test-pod', command: ['sh', '-c', 'echo $SECRET_USERNAME $SECRET_PASSWORD'], output: /^my-app 39528\$vdg7Jb\n$/ },
    ],
  },
  {
    file: 'secret-pod.yaml',
    source: `${W}pods/inject/secret-pod.yaml @7a090ad`,
    needs: ['secret.yaml'],
    docs: "The secret's keys are files in /etc/secret-volume: username holds my-app.",
    expect: [
      { pod: 'secret-test-pod', phase: 'Running' },
      { exec: 'secret-test-pod', command: ['cat', '/etc/secret-volume/username'], output: /^my-app$/ },
    ],
  },
  {
    file: 'job.yaml',
    source: `${W}controllers/job.yaml (the docs' text today: perl:5.34.0 and bpi(2000); @3c774f6 asked 1000 places of perl)`,
    docs: 'The Job runs perl to print pi to 2000 places and completes: `kubectl logs jobs/pi` shows 3.14159265...',
    expect: [{ job: 'pi', condition: 'Complete', log: /^3\.14159265358979323846\d{1965}33904780275901$/m }],
  },
  {
    file: 'job-pod-failure-policy-failjob.yaml',
    source: `${W}controllers/job-pod-failure-policy-failjob.yaml @7a090ad`,
    docs: 'A pod exits with 42 after 30 s; the FailJob rule fails the whole Job at once, without retries: reason PodFailurePolicy, "Container main for pod ... failed with exit code 42 matching FailJob rule at index 0".',
    expect: [
      {
        job: 'job-pod-failure-policy-failjob',
        condition: 'Failed',
        // Not status.failed: both pods of the first pair exit 42 at about the same time, and one or both count.
        reason: /^PodFailurePolicy: Container main for pod \S+ failed with exit code 42 matching FailJob rule at index 0$/,
      },
    ],
  },
  {
    file: 'job-backoff-limit-per-index-example.yaml',
    source: `${W}controllers/job-backoff-limit-per-index-example.yaml @08f4d48`,
    docs: 'Even indexes fail and are retried once each; the odd ones succeed. Five failed indexes do not exceed maxFailedIndexes, so every index runs, and the Job ends Failed with failedIndexes 0,2,4,6,8 and completedIndexes 1,3,5,7,9.',
    expect: [
      {
        job: 'job-backoff-limit-per-index-example',
        condition: 'Failed',
        reason: /^FailedIndexes: Job has failed indexes$/,
        fields: { 'status.failedIndexes': '0,2,4,6,8', 'status.completedIndexes': '1,3,5,7,9', 'status.failed': '10', 'status.succeeded': '5' },
      },
    ],
  },
  {
    file: 'job-backoff-limit-per-index-failindex.yaml',
    source: `${W}controllers/job-backoff-limit-per-index-failindex.yaml @048a0f5`,
    docs: 'Index 0 fails twice (one retry); index 1 exits 42, which the FailIndex rule fails without a retry; 2 and 3 succeed. The Job is Failed with failedIndexes 0,1.',
    expect: [
      {
        job: 'job-backoff-limit-per-index-failindex',
        condition: 'Failed',
        reason: /^FailedIndexes: /,
        fields: { 'status.failedIndexes': '0,1', 'status.completedIndexes': '2,3', 'status.failed': '3' },
      },
    ],
  },
  {
    file: 'cronjob.yaml',
    source: `${W}application/job/cronjob.yaml (docs' batch/v1 text; the stored commit d2a0eb5 still says batch/v1beta1)`,
    docs: 'Every minute a Job prints the date and "Hello from the Kubernetes cluster".',
    expect: [{ cronjob: 'hello', log: /Hello from the Kubernetes cluster/ }],
  },
  {
    file: 'daemonset.yaml',
    source: `${W}controllers/daemonset.yaml @0a1ade9`,
    namespace: 'kube-system',
    docs: 'One fluentd-elasticsearch pod on every node. kip has no stand-in for the fluentd image, so each pod reports ImagePullBackOff.',
    expect: [{ selector: 'name=fluentd-elasticsearch', pods: 3, nodes: 3 }],
  },
  {
    file: 'frontend.yaml',
    source: `${W}controllers/frontend.yaml @bbff371`,
    docs: 'A ReplicaSet with 3 pods. kip has no stand-in for the gb-frontend image: the pods wait with ErrImagePull/ImagePullBackOff, naming what kip knows.',
    expect: [{ selector: 'tier=frontend', pods: 3 }],
  },
  {
    file: 'web.yaml',
    source: `${W}application/web/web.yaml @2de5c2a`,
    docs: 'A headless Service and a StatefulSet: web-0 then web-1 come up in order, each with its own Bound claim (www-web-0, www-web-1).',
    expect: [
      { workload: 'statefulset/web', ready: 2 },
      { claim: 'www-web-0', bound: true },
      { claim: 'www-web-1', bound: true },
      { pod: 'web-0', field: 'spec.hostname', equals: 'web-0' },
    ],
  },
  {
    file: 'zookeeper-pod-disruption-budget-minavailable.yaml',
    source: `${W}policy/zookeeper-pod-disruption-budget-minavailable.yaml @55a786f`,
    docs: 'A PodDisruptionBudget with minAvailable 2; with no zookeeper pods yet it allows 0 disruptions.',
    expect: [{ pdb: 'zk-pdb', disruptionsAllowed: 0 }],
  },
  {
    file: 'load-balancer-example.yaml',
    source: `${W}service/load-balancer-example.yaml @3842a28`,
    // tutorials/stateless-application/expose-external-ip-address: expose it, then curl the external IP.
    after: [['expose', 'deployment', 'hello-world', '--type=LoadBalancer', '--name=my-service']],
    docs: 'Five hello-world replicas (google-samples hello-app) listening on 8080; exposed as the LoadBalancer my-service, its EXTERNAL-IP answers "Hello, world!".',
    expect: [
      { workload: 'deployment/hello-world', ready: 5 },
      { loadBalancer: 'my-service', port: 8080, body: /Hello, world!\nVersion: 2\.0\.0/ },
    ],
  },
  {
    file: 'backend-deployment.yaml',
    source: `${W}service/access/backend-deployment.yaml @3389c10`,
    needs: ['backend-service.yaml'],
    docs: 'Three hello backends behind the hello Service, reached by the named target port "http".',
    expect: [
      { workload: 'deployment/backend', ready: 3 },
      { http: 'http://hello/', body: /Hello/ },
    ],
  },
  {
    file: 'qos-pod-2.yaml',
    source: `${W}pods/qos/qos-pod-2.yaml @5712187`,
    namespace: 'qos-example',
    docs: 'A memory request below its limit, no CPU: the qosClass is Burstable.',
    expect: [
      { pod: 'qos-demo-2', phase: 'Running' },
      { pod: 'qos-demo-2', field: 'status.qosClass', equals: 'Burstable' },
    ],
  },
  {
    file: 'qos-pod-3.yaml',
    source: `${W}pods/qos/qos-pod-3.yaml @81dca13`,
    namespace: 'qos-example',
    docs: 'No requests or limits at all: the qosClass is BestEffort.',
    expect: [
      { pod: 'qos-demo-3', phase: 'Running' },
      { pod: 'qos-demo-3', field: 'status.qosClass', equals: 'BestEffort' },
    ],
  },
  {
    file: 'dapi-envars-container.yaml',
    source: `${W}pods/inject/dapi-envars-container.yaml @6ef03d7`,
    docs: "The container's requests and limits as variables through resourceFieldRef: the log shows 1, 1 (CPU rounded up to whole cores), 33554432 and 67108864.",
    expect: [
      { pod: 'dapi-envars-resourcefieldref', phase: 'Running' },
      { pod: 'dapi-envars-resourcefieldref', log: /^\n1\n1\n33554432\n67108864\n/ },
    ],
  },
  {
    file: 'dapi-volume-resources.yaml',
    source: `${W}pods/inject/dapi-volume-resources.yaml @7a090ad`,
    docs: "The container's limits and requests as files in /etc/podinfo, in the divisor's units: cpu_limit 250, cpu_request 125, mem_limit 64, mem_request 32.",
    expect: [
      { pod: 'kubernetes-downwardapi-volume-example-2', phase: 'Running' },
      {
        exec: 'kubernetes-downwardapi-volume-example-2',
        command: ['sh', '-c', 'for f in cpu_limit cpu_request mem_limit mem_request; do cat /etc/podinfo/$f; echo; done'],
        output: /^250\n125\n64\n32\n$/,
      },
    ],
  },
  {
    file: 'pod-multiple-configmap-env-variable.yaml',
    source: `${W}pods/pod-multiple-configmap-env-variable.yaml @7a090ad`,
    docs: 'Variables from two ConfigMaps (created first with `kubectl create configmap`): the output includes SPECIAL_LEVEL_KEY=very and LOG_LEVEL=INFO.',
    before: [
      ['create', 'configmap', 'special-config', '-n', 'docs-pod-multiple-configmap-env-variable', '--from-literal=special.how=very'],
      ['create', 'configmap', 'env-config', '-n', 'docs-pod-multiple-configmap-env-variable', '--from-literal=log_level=INFO'],
    ],
    expect: [
      { pod: 'dapi-test-pod', phase: 'Succeeded' },
      { pod: 'dapi-test-pod', log: /^(?=[\s\S]*^SPECIAL_LEVEL_KEY=very$)(?=[\s\S]*^LOG_LEVEL=INFO$)/m },
    ],
  },
  {
    file: 'pod-configmap-volume-specific-key.yaml',
    source: `${W}pods/pod-configmap-volume-specific-key.yaml @7a090ad`,
    docs: 'Only the SPECIAL_LEVEL key of the ConfigMap, at the path keys: `cat /etc/config/keys` prints very.',
    before: [
      [
        'create',
        'configmap',
        'special-config',
        '-n',
        'docs-pod-configmap-volume-specific-key',
        '--from-literal=SPECIAL_LEVEL=very',
        '--from-literal=SPECIAL_TYPE=charm',
      ],
    ],
    expect: [
      { pod: 'dapi-test-pod', phase: 'Succeeded' },
      { pod: 'dapi-test-pod', log: /^very$/ },
    ],
  },
  {
    file: 'pod-with-scheduling-gates.yaml',
    source: `${W}pods/pod-with-scheduling-gates.yaml @7a090ad`,
    docs: 'A pod with two scheduling gates is not scheduled: `kubectl get pod test-pod` shows SchedulingGated.',
    expect: [
      { pod: 'test-pod', field: 'status.conditions.0.reason', equals: 'SchedulingGated' },
      { pod: 'test-pod', field: 'spec.nodeName', equals: 'undefined' },
    ],
  },
  {
    file: 'pod-without-scheduling-gates.yaml',
    source: `${W}pods/pod-without-scheduling-gates.yaml @81dca13`,
    needs: ['pod-with-scheduling-gates.yaml'],
    docs: 'Applying the same pod without its gates removes them: the pod is scheduled and Running.',
    expect: [{ pod: 'test-pod', phase: 'Running' }],
  },
  {
    file: 'indexed-job.yaml',
    source: `${W}application/job/indexed-job.yaml @81dca13`,
    docs: 'An Indexed Job of 5: each init container writes the item of its JOB_COMPLETION_INDEX, the worker reverses it (index 4 prints zyx); completedIndexes 0-4.',
    expect: [{ job: 'indexed-job', condition: 'Complete', fields: { 'status.completedIndexes': '0-4', 'status.succeeded': '5' }, log: /^zyx$/m }],
  },
  {
    file: 'replicaset.yaml',
    source: `${W}controllers/replicaset.yaml @7a090ad`,
    docs: 'A ReplicaSet of 3 nginx pods (the garbage collection example), all ready.',
    expect: [{ workload: 'replicaset/my-repset', ready: 3 }],
  },
  {
    file: 'pod-with-http-healthcheck.yaml',
    source: `${W}pods/probe/pod-with-http-healthcheck.yaml @81dca13`,
    docs: 'An HTTP liveness probe from 30 s on; nginx answers 404 for /_status/healthz, so, as on any cluster, the kubelet restarts the container.',
    expect: [
      { pod: 'pod-with-http-healthcheck', phase: 'Running' },
      { pod: 'pod-with-http-healthcheck', restartsAtLeast: 1 },
    ],
  },
  {
    file: 'adapter.yaml',
    source: `${W}pods/multi-container/adapter.yaml @625be18`,
    docs: 'A sidecar (an init container with restartPolicy Always) adapts the app\'s raw log lines: its log shows "adapted: <date> raw event" while the app keeps running.',
    expect: [
      { pod: 'adapter-pattern-example', phase: 'Running' },
      { pod: 'adapter-pattern-example', container: 'adapter', log: /^adapted: .+ raw event$/m },
    ],
  },
  {
    file: 'deployment-sidecar.yaml',
    source: `${W}application/deployment-sidecar.yaml @464022b`,
    docs: 'A Deployment whose logshipper sidecar tails the file the app writes to a shared emptyDir; the pod runs both.',
    expect: [
      { workload: 'deployment/myapp', ready: 1 },
      { selector: 'app.kubernetes.io/name=myapp', pods: 1 },
    ],
  },
  {
    file: 'job-sidecar.yaml',
    source: `${W}application/job/job-sidecar.yaml @0ad55a1`,
    docs: 'A Job with a logshipper sidecar: once the main container is done the sidecar is stopped and the Job completes.',
    expect: [{ job: 'myjob', condition: 'Complete', fields: { 'status.succeeded': '1' } }],
  },
];
