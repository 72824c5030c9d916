// The sandbox probe's answer, shared by the agents of one data dir. Every agent asked the kernel
// the same question at its start (unshare, mount and a shell, sixty scratch directories made and
// removed): about 0.1 s of cpu each, a fifth of what an agent cost to join, for an answer that is
// the same for every agent of the machine until the machine changes. The first agent to probe
// writes the answer beside the data dir's other shared files, with everything the answer depends
// on (the boot, the user, the kernel, its user-namespace settings and the host's layout); the next
// agents take it when all of that is still the same, and probe again when anything differs.
// Agents start sixteen at a time, so the first ones would all probe together: the first takes a
// lock file and probes, and the others wait for its answer instead of repeating its work.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostFacts, probeSandboxAsync, type SandboxSupport } from './sandbox-probe.js';

/** The file, in the data dir every node of a cluster shares. */
export const SANDBOX_PROBE_FILE = 'sandbox-probe.json';

/** Kernel settings that allow or forbid unprivileged user namespaces, across distributions. */
const USERNS_SETTINGS = [
  '/proc/sys/kernel/random/boot_id',
  '/proc/sys/user/max_user_namespaces',
  '/proc/sys/kernel/unprivileged_userns_clone',
  '/proc/sys/kernel/apparmor_restrict_unprivileged_userns',
];

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Everything the probe's answer depends on, as one string; undefined where no probe would run. */
export function probeFingerprint(): string | undefined {
  const facts = hostFacts();
  if (!('layout' in facts)) return undefined;
  return JSON.stringify({
    uid: process.getuid?.(),
    gid: process.getgid?.(),
    kernel: os.release(),
    settings: USERNS_SETTINGS.map(readOr),
    facts,
  });
}

interface Stored {
  fingerprint: string;
  support: SandboxSupport;
}

function readStored(file: string): Stored | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Stored>;
    if (typeof s.fingerprint !== 'string' || typeof s.support !== 'object' || s.support === null) return undefined;
    if (s.support.available !== true || typeof s.support.layout !== 'object') return undefined;
    return s as Stored;
  } catch {
    return undefined;
  }
}

/** How often an agent waiting for another's probe looks for its answer. */
const WAIT_POLL_MS = 25;
/** An agent waits this long at most for another's probe, then probes itself. */
const WAIT_MAX_MS = 10_000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the probe lock: a file created only if absent, holding the taker's pid. A lock whose
 * holder is dead (killed mid-probe) is taken over. False when a live agent holds it.
 */
export function takeProbeLock(lock: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return true; // an unwritable dir: probe without a lock
    }
    const holder = Number(readOr(lock));
    if (Number.isInteger(holder) && holder > 0 && pidAlive(holder)) return false;
    fs.rmSync(lock, { force: true });
  }
  return false;
}

/**
 * The sandbox support of this machine: the stored answer when it was found under the same
 * fingerprint, else a probe in `scratchDir`. Only a sandbox found to work is stored: a refusal may
 * come from a moment's trouble (a probe timed out on a loaded machine), and each agent asks again.
 */
export async function probeSandboxShared(sharedDir: string, scratchDir: string, probe = probeSandboxAsync): Promise<SandboxSupport> {
  const file = path.join(sharedDir, SANDBOX_PROBE_FILE);
  const fingerprint = probeFingerprint();
  if (fingerprint === undefined) return probe(scratchDir);
  const stored = readStored(file);
  if (stored?.fingerprint === fingerprint) return stored.support;
  const lock = `${file}.lock`;
  if (!takeProbeLock(lock)) {
    // Another agent is probing: its answer, once stored, is this agent's too. When it ends without
    // one (a refusal is not stored) or takes too long, this agent probes for itself.
    const deadline = Date.now() + WAIT_MAX_MS;
    while (Date.now() < deadline) {
      await sleep(WAIT_POLL_MS);
      const answer = readStored(file);
      if (answer?.fingerprint === fingerprint) return answer.support;
      if (!fs.existsSync(lock)) break;
    }
    const answer = readStored(file);
    if (answer?.fingerprint === fingerprint) return answer.support;
    return probeAndStore(file, fingerprint, scratchDir, probe);
  }
  try {
    return await probeAndStore(file, fingerprint, scratchDir, probe);
  } finally {
    if (readOr(lock) === String(process.pid)) fs.rmSync(lock, { force: true });
  }
}

async function probeAndStore(file: string, fingerprint: string, scratchDir: string, probe: typeof probeSandboxAsync): Promise<SandboxSupport> {
  const support = await probe(scratchDir);
  if (support.available) {
    try {
      // Whole or not at all: agents starting together read it while another writes it.
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ fingerprint, support } satisfies Stored));
      fs.renameSync(tmp, file);
    } catch {
      // an unwritable data dir costs the next agent a probe, nothing more
    }
  }
  return support;
}
