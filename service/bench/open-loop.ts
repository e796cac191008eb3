/**
 * An open-loop load generator: requests arrive at a fixed rate whether or not earlier ones have been
 * answered, the way k6's constant-arrival-rate executor drives a service. A closed loop (autocannon)
 * only measures latency at saturation, where Little's law fixes the mean at connections/throughput;
 * an open loop measures latency at a stated offered load.
 *
 * Arrivals go round-robin over `connections` keep-alive connections, so every connection carries
 * traffic. An arrival whose connection is still busy waits for it, and that wait counts in its
 * latency: the generator never hides a slow answer by sending less (no coordinated omission).
 * Latencies are kept twice (arrivals.ts): from the hand-off to the connection, which is the one
 * the benches judge, and from the arrival's due time, which adds the generator's own lag.
 *
 * It speaks just enough HTTP/1.1 over raw sockets to send one pre-encoded request and read
 * Content-Length answers. The client shares the machine's cores with the server it measures, and a
 * general-purpose client (undici) spent 60 to 190 µs of CPU per request here, as much as the server
 * it was measuring; this one spends a fraction of that.
 */
import net from 'node:net';
import { Arrivals } from './arrivals';

export interface OpenLoopOptions {
  /** `http://127.0.0.1:<port>` or `http://[::1]:<port>`: load goes to loopback only. */
  origin: string;
  path: string;
  /** A Buffer for the binary tensor extension. */
  body: string | Buffer;
  headers?: Record<string, string>;
  connections: number;
  /** Arrivals per second over all connections. */
  rate: number;
  seconds: number;
}

export interface OpenLoopResult {
  offered: number;
  completed: number;
  /** Answers other than 200, and requests lost to a closed or failed connection. */
  failures: number;
  /** From the moment each arrival was handed to its connection until its whole answer was read. */
  latenciesMs: number[];
  /** The same answers from each arrival's due time: the above plus the generator's send lag. */
  fromDueMs: number[];
  /** Per arrival, how long after its due time the generator handed it to a connection. */
  sendLagMs: number[];
  /** Wall time from the first arrival to the last answer. */
  elapsedS: number;
}

/** How often the scheduler wakes; arrivals due since the last wake go out together. */
const TICK_MS = 1;
/** How long the last answers may take once every arrival has been sent; later ones count as failures. */
const DRAIN_MS = 30_000;
const HEADER_END = Buffer.from('\r\n\r\n');

/** One keep-alive connection carrying one request at a time; later arrivals queue behind it. */
class Connection {
  private readonly socket: net.Socket;
  /** Arrivals sent or waiting, by index, oldest (the one on the wire) first. */
  private readonly arrivals: number[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  private closed = false;

  constructor(
    host: string,
    port: number,
    private readonly request: Buffer,
    private readonly onAnswer: (status: number | undefined, arrival: number) => void,
    private readonly onFatal: (err: Error) => void,
  ) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.socket.on('error', () => this.fail());
    this.socket.on('close', () => this.fail());
  }

  send(arrival: number): void {
    if (this.closed) return this.onAnswer(undefined, arrival);
    this.arrivals.push(arrival);
    if (this.arrivals.length === 1) this.socket.write(this.request);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    for (;;) {
      const end = this.buffered.indexOf(HEADER_END);
      if (end < 0) return;
      const head = this.buffered.toString('latin1', 0, end);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!length)
        return this.fail(new Error(`open-loop client needs Content-Length answers, got:\n${head}`));
      const total = end + HEADER_END.length + Number(length[1]);
      if (this.buffered.length < total) return;
      this.buffered = this.buffered.subarray(total);
      const status = Number(head.slice(9, 12));
      this.onAnswer(status, this.arrivals.shift()!);
      if (this.arrivals.length) this.socket.write(this.request);
    }
  }

  /**
   * A connection that dies, or is given up on, loses what it carried and what waited on it: each
   * counts as a failure. An answer it cannot read ends the whole run.
   */
  fail(fatal?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    if (fatal) this.onFatal(fatal);
    for (const arrival of this.arrivals.splice(0)) this.onAnswer(undefined, arrival);
  }
}

export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const origin = /^http:\/\/(127\.0\.0\.1|\[::1\]):(\d+)$/.exec(options.origin);
  if (!origin) throw new Error(`open-loop load targets loopback only, got ${options.origin}`);
  if (!(options.rate > 0) || !(options.seconds > 0) || !(options.connections >= 1))
    throw new Error('open-loop load needs a positive rate, duration and connection count');
  const host = origin[1].replace(/^\[|\]$/g, '');
  const body = Buffer.from(options.body);
  const headers = {
    host: `${origin[1]}:${origin[2]}`,
    'content-type': 'application/json',
    ...options.headers,
    'content-length': String(body.length),
  };
  const request = Buffer.concat([
    Buffer.from(
      `POST ${options.path} HTTP/1.1\r\n` +
        Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('') +
        '\r\n',
    ),
    body,
  ]);

  const total = Math.round(options.rate * options.seconds);
  const latenciesMs: number[] = [];
  const fromDueMs: number[] = [];
  let failures = 0;
  let answered = 0;
  let allAnswered: () => void = () => undefined;
  let fatal: Error | undefined;
  const done = new Promise<void>((resolve) => (allAnswered = resolve));
  const schedule = new Arrivals(options.rate, total);
  const onAnswer = (status: number | undefined, arrival: number) => {
    if (status === undefined) failures++;
    else {
      const ms = schedule.answered(arrival);
      latenciesMs.push(ms.fromHandOff);
      fromDueMs.push(ms.fromDue);
      if (status !== 200) failures++;
    }
    if (++answered === total) allAnswered();
  };
  const connections = Array.from(
    { length: options.connections },
    () => new Connection(host, Number(origin[2]), request, onAnswer, (err) => (fatal ??= err)),
  );

  const send = (arrival: number) => connections[arrival % connections.length].send(arrival);
  const tick = () => {
    if (!schedule.handDue(send)) setTimeout(tick, TICK_MS);
    else drainTimer = setTimeout(() => connections.forEach((c) => c.fail()), DRAIN_MS);
  };
  let drainTimer: NodeJS.Timeout | undefined;
  tick();
  await done;
  clearTimeout(drainTimer);
  const elapsedS = (performance.now() - schedule.started) / 1000;
  for (const c of connections) c.close();
  if (fatal) throw fatal;
  return {
    offered: total,
    completed: latenciesMs.length,
    failures,
    latenciesMs,
    fromDueMs,
    sendLagMs: schedule.sendLagMs,
    elapsedS,
  };
}
