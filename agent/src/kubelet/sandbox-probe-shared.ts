// The sandbox probe's answer, shared by the agents of one data dir. Every agent asked the kernel
// the same question at its start (unshare, mount and a shell, sixty scratch directories made and
// removed): about 0.1 s of cpu each, a fifth of what an agent cost to join, for an answer that is
// the same for every agent of the machine until the machine changes. The first agent to probe
// writes the answer beside the data dir's other shared files, with everything the answer depends
// on (the boot, the user, the kernel, its user-namespace settings and the host's layout); the next
// agents take it when all of that is still the same, and probe again when anything differs.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
