// Whether and when an exited container runs again: the pod's restartPolicy, then the kubelet's
// CrashLoopBackOff. Pure, so the policy is tested without processes.
//
// As the kubelet does it: the first restart is immediate; each later one waits initial, then
// double that, up to the cap; a run that lasted at least `resetMs` forgives the history.

import type { RestartPolicy } from '@kip/shared';

export function shouldRestart(policy: RestartPolicy | undefined, exitCode: number): boolean {
  switch (policy ?? 'Always') {
    case 'Always':
      return true;
    case 'OnFailure':
      return exitCode !== 0;
    case 'Never':
      return false;
  }
}

export interface CrashLoopSettings {
  initialMs: number;
  maxMs: number;
  resetMs: number;
}

/**
 * How long to wait before restarting a container whose last run lasted ranMs, given the current
 * back-off (0 until the first restart has happened); returns the back-off to keep for next time.
 */
export function crashLoopDelay(currentMs: number, ranMs: number, s: CrashLoopSettings): { delayMs: number; currentMs: number } {
  const current = ranMs >= s.resetMs ? 0 : Math.min(currentMs, s.maxMs);
  return { delayMs: Math.min(current, s.maxMs), currentMs: current === 0 ? s.initialMs : Math.min(s.maxMs, current * 2) };
}

export class CrashLoopBackoff {
  /** The current back-off; 0 until the first restart has happened. */
  private currentMs = 0;

  constructor(private settings: CrashLoopSettings) {}

  update(settings: CrashLoopSettings): void {
    this.settings = settings;
    if (this.currentMs > settings.maxMs) this.currentMs = settings.maxMs;
  }

  /** How long to wait before restarting a container whose last run lasted ranMs. */
  nextDelay(ranMs: number): number {
    const next = crashLoopDelay(this.currentMs, ranMs, this.settings);
    this.currentMs = next.currentMs;
    return next.delayMs;
  }

  reset(): void {
    this.currentMs = 0;
  }
}

/** "20s", "1m20s", "5m0s", "500ms": Go's time.Duration text, as the kubelet writes back-off delays. */
export function formatGoDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalS = ms / 1000;
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = Math.round((totalS % 60) * 1000) / 1000;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** The kubelet's name for a pod in messages: name_namespace(uid). */
export function formatPod(pod: { metadata: { name: string; namespace?: string; uid?: string } }): string {
  return `${pod.metadata.name}_${pod.metadata.namespace ?? 'default'}(${pod.metadata.uid ?? ''})`;
}

export function backOffMessage(delayMs: number, container: string, podText: string): string {
  return `back-off ${formatGoDuration(delayMs)} restarting failed container=${container} pod=${podText}`;
}
