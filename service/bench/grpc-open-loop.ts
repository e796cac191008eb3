/**
 * The gRPC twin of open-loop.ts: calls arrive at a fixed rate whether or not earlier ones were
 * answered, round-robin over `streams` call slots on one HTTP/2 channel (a slot carries one call at
 * a time, later arrivals queue behind it and that wait counts in their latency). The request is
 * serialized once and the answer is not decoded, as open-loop.ts sends pre-encoded bytes and reads
 * only Content-Length, so the client spends as little of the shared cores as it can.
 */
import * as grpc from '@grpc/grpc-js';
import type { OpenLoopResult } from './open-loop';

export interface GrpcOpenLoopOptions {
  /** `127.0.0.1:<port>`: load goes to loopback only. */
  target: string;
  /** Full method path, e.g. /inference.GRPCInferenceService/ModelInfer. */
  method: string;
  /** The serialized request message. */
  request: Buffer;
  streams: number;
  rate: number;
  seconds: number;
}

const TICK_MS = 1;
const DRAIN_MS = 30_000;
const identity = (b: Buffer) => b;

export async function grpcOpenLoop(o: GrpcOpenLoopOptions): Promise<OpenLoopResult> {
  if (!/^(127\.0\.0\.1|\[::1\]):\d+$/.test(o.target)) throw new Error(`loopback only, got ${o.target}`);
  const client = new grpc.Client(o.target, grpc.credentials.createInsecure());
  const latenciesMs: number[] = [];
  let failures = 0;
  let completed = 0;
  const queues: number[][] = Array.from({ length: o.streams }, () => []);
  const busy: boolean[] = new Array(o.streams).fill(false);
  let settle: (() => void) | undefined;
  let offered = 0;
  let sentAll = false;

  const send = (slot: number) => {
    busy[slot] = true;
    client.makeUnaryRequest(o.method, identity, identity, o.request, (err) => {
      const arrived = queues[slot].shift()!;
      completed++;
      if (err) failures++;
      else latenciesMs.push(performance.now() - arrived);
      busy[slot] = false;
      if (queues[slot].length > 0) send(slot);
      else if (sentAll && completed === offered) settle?.();
    });
  };

  const start = performance.now();
  const total = Math.round(o.rate * o.seconds);
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * o.rate));
      while (offered < due) {
        const slot = offered % o.streams;
        queues[slot].push(performance.now());
        offered++;
        if (!busy[slot]) send(slot);
      }
      if (offered >= total) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  sentAll = true;
  if (completed < offered) {
    await new Promise<void>((resolve) => {
      settle = resolve;
      setTimeout(resolve, DRAIN_MS);
    });
  }
  const elapsedS = (performance.now() - start) / 1000;
  client.close();
  return { offered, completed, failures: failures + (offered - completed), latenciesMs, elapsedS };
}
