import { processCpuMs } from '../bench/process-cpu';

describe('processCpuMs (the bench CPU reading)', () => {
  it("agrees with the process's own CPU accounting over a busy stretch", () => {
    const before = processCpuMs(process.pid);
    const usage = process.cpuUsage();
    let spent = 0;
    while (spent < 200_000) {
      const u = process.cpuUsage(usage);
      spent = u.user + u.system;
    }
    const measured = processCpuMs(process.pid) - before;
    expect(measured).toBeGreaterThan(0.8 * (spent / 1000));
    expect(measured).toBeLessThan(1.5 * (spent / 1000));
  });

  it('fails for a process that does not exist', () => {
    expect(() => processCpuMs(2 ** 22 + 1)).toThrow(/ENOENT/);
  });
});
