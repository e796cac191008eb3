import { execFileSync, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { arrange } from '../bench/cpu-pinning';

/** The CPUs `pid` may run on, as taskset lists them (`0,1` or `0-3`) expanded to numbers. */
const affinity = (pid: number): number[] =>
  execFileSync('taskset', ['-p', '-c', String(pid)], { encoding: 'utf8' })
    .split(':')[1]
    .trim()
    .split(',')
    .flatMap((part) => {
      const [from, to = from] = part.split('-').map(Number);
      return Array.from({ length: to - from + 1 }, (_, i) => from + i);
    });

const CPUS = cpus().length;
const multiCore = CPUS >= 2 ? it : it.skip;

describe('arrange (where a bench puts its load generator and the service)', () => {
  multiCore('split pins the service to CPU 0 and this process to the rest; shared undoes it', () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const all = Array.from({ length: CPUS }, (_, i) => i);
      expect(arrange('split', [child.pid!])).toMatch(/^split: service pinned to CPU 0/);
      expect(affinity(child.pid!)).toEqual([0]);
      expect(affinity(process.pid)).toEqual(all.slice(1));
      expect(arrange('shared', [child.pid!])).toMatch(/^shared:/);
      expect(affinity(child.pid!)).toEqual(all);
      expect(affinity(process.pid)).toEqual(all);
    } finally {
      arrange('shared', []);
      child.kill();
    }
  });
});
