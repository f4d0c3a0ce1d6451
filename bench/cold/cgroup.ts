/**
 * A CPU quota for the bench's child processes, as Lambda gives a function a share of a vCPU proportional to its
 * memory. Uses the cgroup v1 `cpu` controller (root, a writable /sys/fs/cgroup/cpu): one child group per bench
 * run, whose cpu.cfs_period_us / cpu.cfs_quota_us are set before each child starts; the child joins the group
 * before Node.js starts (`sh -c 'echo $$ > cgroup.procs && exec node …'`), and the group has a high weight so that
 * other load on the machine does not push the child below its share. When the group cannot be created
 * (not root, no `cpu` controller, cgroup v2 only: not handled), `openCpuShare` says why and the caller measures
 * at full CPU.
 */
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Lambda gives one full vCPU at 1,769 MB and a proportional share below (AWS Lambda documentation). */
export const MIB_PER_VCPU = 1769;

/** The kernel refuses a CFS quota under 1 ms (EINVAL). */
const MIN_QUOTA_US = 1000;
const MAX_PERIOD_US = 1_000_000;
/**
 * The group's weight against the machine's other tasks (a task's is 1024). The quota caps the child at its share;
 * the weight lets it reach that share on a busy machine: with equal weight, 14 runnable tasks elsewhere would leave a
 * 1,769 MB child about a fifteenth of a core instead of one core. The cap still bounds what it takes from others.
 */
const GROUP_SHARES = 65536;

export interface CpuQuota {
  readonly periodUs: number;
  readonly quotaUs: number;
}

/**
 * The period and quota for `share` of one CPU (0 < share ≤ 1). A share whose quota would fall under the kernel's
 * 1 ms minimum gets a longer period with the same ratio (128 MB with a 10 ms period: 13.9 ms).
 */
export function quotaFor(share: number, periodUs: number): CpuQuota {
  if (!(share > 0)) throw new Error(`CPU share must be positive, got ${share}`);
  const capped = Math.min(1, share);
  const period = Math.min(MAX_PERIOD_US, Math.max(periodUs, Math.ceil(MIN_QUOTA_US / capped)));
  return { periodUs: period, quotaUs: Math.round(capped * period) };
}

/** The CPU share of a Lambda memory size. */
export function shareOfMemory(memoryMiB: number): number {
  return Math.min(1, memoryMiB / MIB_PER_VCPU);
}

export type CpuShare =
  | {
      readonly available: true;
      /** The child group's directory. */
      readonly dir: string;
      /** Sets the group's quota for the next children. */
      limit(share: number): CpuQuota;
      /** The command that runs `command args` inside the group from its first instruction. */
      wrap(command: string, args: readonly string[]): { command: string; args: string[] };
      /** Removes the group (its children have exited). */
      close(): void;
    }
  | { readonly available: false; readonly reason: string };

export interface CpuShareOptions {
  /** The CFS period; short periods spread a small share evenly over a short start-up (design §9.1). */
  readonly periodUs: number;
  /** The cgroup v1 `cpu` hierarchy. @default /sys/fs/cgroup/cpu */
  readonly root?: string;
  /** Name of the child group. @default tv-bench-<pid> */
  readonly name?: string;
}

export function openCpuShare(options: CpuShareOptions): CpuShare {
  const root = options.root ?? '/sys/fs/cgroup/cpu';
  if (!existsSync(join(root, 'cpu.cfs_quota_us')))
    return { available: false, reason: `no cgroup v1 cpu controller at ${root}` };
  const dir = join(root, options.name ?? `tv-bench-${process.pid}`);
  try {
    if (!existsSync(dir)) mkdirSync(dir);
    // Proves we may set a quota before any child depends on it.
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), '-1');
    writeFileSync(join(dir, 'cpu.shares'), String(GROUP_SHARES));
  } catch (error) {
    try {
      rmdirSync(dir);
    } catch {
      // never created
    }
    return { available: false, reason: `cannot create a cgroup under ${root}: ${(error as Error).message}` };
  }
  return {
    available: true,
    dir,
    limit(share) {
      const quota = quotaFor(share, options.periodUs);
      // Unlimited first: the kernel refuses a period shorter than the current quota.
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), '-1');
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(quota.periodUs));
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota.quotaUs));
      return quota;
    },
    wrap(command, args) {
      // $0 and "$@" carry the command line unquoted; only the group's path is interpolated (no user input).
      return {
        command: '/bin/sh',
        args: ['-c', `echo $$ > '${join(dir, 'cgroup.procs')}' && exec "$0" "$@"`, command, ...args],
      };
    },
    close() {
      try {
        rmdirSync(dir);
      } catch {
        // A child still exiting keeps the group busy; the kernel frees an empty group on the next run's rmdir.
      }
    },
  };
}
