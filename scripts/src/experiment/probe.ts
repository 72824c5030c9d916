// The measuring instrument: a pod running the `client` image inside the cluster, calling the
// probe URL at a fixed rate through its node's proxy as any pod would, and the runner following
// its log through the API (`GET .../pods/NAME/log?follow=true`) and reading each line back into
// a sample. A broken log stream is followed again from the start; repeated lines count once.

import { StringDecoder } from 'node:string_decoder';
import { objectPath, resourceByKind, ApiStatusError, type Pod, type ApiClient } from '@kip/shared';
import { CliError } from '../kip/errors.js';
import { ClientLogReader, type Sample } from './client-log.js';
import type { ProbeSpec } from './spec.js';
import { sleep } from './sleep.js';

const POD = () => resourceByKind('Pod')!;
const CONTAINER = 'client';

/** Waiting reasons after which the client will not start by itself. */
const HOPELESS = new Set(['ErrImagePull', 'ImagePullBackOff', 'CrashLoopBackOff', 'CreateContainerError', 'InvalidImageName']);

export function probePodManifest(name: string, namespace: string, spec: ProbeSpec, nodeName: string | undefined, labels: Record<string, string>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: {
      // One client process for the whole run: its request numbers stay unique, and a crash shows.
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      ...(nodeName ? { nodeName } : {}),
      ...(!nodeName && spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
      containers: [
        {
          name: CONTAINER,
          image: 'client',
          args: [`--url=${spec.url}`, `--rate=${spec.rate}`, `--timeout=${spec.timeoutMs}ms`],
          resources: { requests: { cpu: '50m', memory: '32Mi' } },
        },
      ],
    },
  } as Pod;
}

export interface ProbeOptions {
  api: ApiClient;
  namespace: string;
  podName: string;
  spec: ProbeSpec;
  nodeName?: string;
  labels: Record<string, string>;
  onSample?: (s: Sample) => void;
  log: (line: string) => void;
}

export class Probe {
  readonly reader: ClientLogReader;
  /** the node the client pod runs on, once it is scheduled */
  node = '';
  private created = false;
  private following?: Promise<void>;
  private readonly stopFollowing = new AbortController();
  /** end stamp of the newest line read: a line proves every earlier line of the log was read */
  private lastLoggedAt = 0;

  constructor(private readonly o: ProbeOptions) {
    this.reader = new ClientLogReader((s) => {
      this.lastLoggedAt = Math.max(this.lastLoggedAt, s.t + s.latencyMs);
      o.onSample?.(s);
    });
  }

  get samples(): readonly Sample[] {
    return this.reader.samples;
  }

  /** Creates the client pod, waits for its container to run, and starts following its log. */
  async start(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const { api, namespace, podName } = this.o;
    await api.create(POD(), namespace, probePodManifest(podName, namespace, this.o.spec, this.o.nodeName, this.o.labels));
    this.created = true;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pod = await api.get<Pod>(POD(), namespace, podName);
      const cs = pod.status?.containerStatuses?.find((c) => c.name === CONTAINER);
      this.node = pod.spec.nodeName ?? '';
      if (cs?.state.running) break;
      if (cs?.state.terminated || pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded')
        throw new CliError(
          `the probe pod ${podName} stopped before the run began: ${cs?.state.terminated?.reason ?? pod.status?.phase}; see npm run kip -- logs ${podName}`,
        );
      const waiting = cs?.state.waiting?.reason;
      if (waiting && HOPELESS.has(waiting)) throw new CliError(`the probe pod ${podName} cannot start: ${waiting}: ${cs?.state.waiting?.message ?? ''}`);
      if (Date.now() > deadline) {
        const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
        throw new CliError(
          `the probe pod ${podName} was not running after ${timeoutMs / 1000}s: ${unscheduled?.message ?? waiting ?? pod.status?.phase ?? 'Pending'}`,
        );
      }
      await sleep(150, signal);
    }
    this.following = this.follow();
  }

  private async follow(): Promise<void> {
    const { api, namespace, podName } = this.o;
    const path = `${objectPath(POD(), namespace, podName)}/log`;
    const signal = this.stopFollowing.signal;
    let warned = false;
    while (!signal.aborted) {
      // Every stream starts at the top of the log; the reader drops what it has seen.
      this.reader.restart();
      const decoder = new StringDecoder('utf8');
      try {
        await api.stream(path, { container: CONTAINER, follow: 'true' }, signal, (chunk) => this.reader.push(decoder.write(chunk)));
      } catch (err) {
        if (signal.aborted) break;
        if (!warned) this.o.log(`following the probe's log: ${(err as Error).message}; retrying`);
        warned = true;
      }
      if (signal.aborted) break;
      await sleep(300, signal).catch(() => {});
    }
  }

  /** Resolves once the first request has been logged. */
  async waitFirstSample(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.reader.samples.length === 0) {
      if (Date.now() > deadline)
        throw new CliError(`the probe pod ${this.o.podName} logged no request within ${timeoutMs / 1000}s; see npm run kip -- logs ${this.o.podName}`);
      await sleep(100, signal);
    }
  }

  /**
   * Waits until every request sent before `endAt` has been read: they have all ended by
   * endAt + timeout, and a line stamped after that proves the lines before it were read.
   * Bounded by `graceMs` beyond that point, for a client that went quiet.
   */
  async drain(endAt: number, graceMs = 3000): Promise<void> {
    const settled = endAt + this.o.spec.timeoutMs + 100;
    const deadline = settled + graceMs;
    while (this.lastLoggedAt < settled && Date.now() < deadline) await sleep(100);
  }

  /** Stops following and deletes the pod, waiting (bounded) for it to be gone. */
  async stop(): Promise<void> {
    this.stopFollowing.abort();
    await this.following;
    if (!this.created) return;
    const { api, namespace, podName } = this.o;
    try {
      await api.delete(POD(), namespace, podName, 0);
    } catch (err) {
      if (!(err instanceof ApiStatusError && err.isNotFound)) throw err;
    }
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      try {
        await api.get(POD(), namespace, podName);
      } catch (err) {
        if (err instanceof ApiStatusError && err.isNotFound) break;
        throw err;
      }
      await sleep(150);
    }
    this.created = false;
  }
}
