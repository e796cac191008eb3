import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time, in milliseconds, that every live thread of process `pid` has used so far: the sum of
 * the first field of Linux's /proc/<pid>/task/<tid>/schedstat (nanoseconds on a CPU). It counts the
 * event loop, onnxruntime's threads and libuv's pool alike, at nanosecond resolution where
 * /proc/<pid>/stat only counts 10 ms ticks. A thread that exits between two readings takes its time
 * with it, which is why it suits long-lived processes such as the service under load.
 */
export function processCpuMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += threadNs(pid, tid);
    } catch {
      // The thread exited between the listing and the read.
    }
  }
  return ns / 1e6;
}

/**
 * The same for the main thread alone: the event loop, where the front doors (HTTP parsing, gRPC
 * framing) and the request pipeline run, without onnxruntime's compute, whose cost per request
 * follows the batch sizes that arrival timing produces.
 */
export function mainThreadCpuMs(pid: number): number {
  return threadNs(pid, String(pid)) / 1e6;
}

const threadNs = (pid: number, tid: string) =>
  Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
