/**
 * Where a bench's load generator runs relative to the service it measures. By default (`shared`)
 * neither is pinned: on a 2-core machine the generator, running in the bench's own process, takes
 * turns with the service on both cores, and the service's tail carries the generator's CPU. A
 * production client is not on the pod's cores; `split` comes closer to that by pinning every
 * thread of the service to CPU 0 and the bench process, generator included, to CPU 1 (`taskset
 * -a`). Other processes on the machine are not moved, so neither core is the service's alone.
 */
import { execFileSync } from 'node:child_process';
import { cpus as onlineCpus } from 'node:os';
import { arg } from './args';

export type Arrangement = 'shared' | 'split';

const ARRANGEMENTS: readonly Arrangement[] = ['shared', 'split'];

/** `--arrangement shared|split`, `shared` when absent. */
export function arrangementArg(): Arrangement {
  const value = arg('arrangement', 'shared');
  if (!(ARRANGEMENTS as readonly string[]).includes(value))
    throw new Error(`--arrangement is one of ${ARRANGEMENTS.join(', ')}, got ${value}`);
  return value as Arrangement;
}

/** Sets every thread of `pid` to run on `cpus` (a taskset list such as `0` or `0-1`). */
function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/**
 * Puts the services' processes and this one where `arrangement` says, undoing any earlier pinning,
 * so that one bench may alternate arrangements between rounds. Returns what it did, for the report.
 */
export function arrange(arrangement: Arrangement, servicePids: readonly number[]): string {
  // Not availableParallelism(): it counts the CPUs this process may use, which split narrows.
  const cpus = onlineCpus().length;
  const all = `0-${cpus - 1}`;
  if (arrangement === 'shared') {
    for (const pid of [...servicePids, process.pid]) pin(pid, all);
    return `shared: load generator and service unpinned on the same ${cpus} CPUs`;
  }
  if (cpus < 2) throw new Error('--arrangement split needs at least 2 CPUs');
  for (const pid of servicePids) pin(pid, '0');
  pin(process.pid, `1-${cpus - 1}`);
  return `split: service pinned to CPU 0, load generator (this process) to CPU${cpus > 2 ? 's' : ''} 1${cpus > 2 ? `-${cpus - 1}` : ''}`;
}
