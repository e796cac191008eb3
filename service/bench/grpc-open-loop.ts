/**
 * The gRPC twin of open-loop.ts: calls arrive at a fixed rate whether or not earlier ones were
 * answered, round-robin over `streams` call slots spread over `channels` HTTP/2 connections. A slot
 * carries one call at a time, as one of open-loop.ts's HTTP/1.1 connections carries one request;
 * later arrivals queue behind it and that wait counts in their latency.
 *
 * Like open-loop.ts it speaks just enough of the protocol over raw sockets to send one pre-encoded
 * request and see its answer end. The client shares the two cores with the server it measures:
 * @grpc/grpc-js as the client spent ~150 µs of CPU per call, node:http2 ~100 µs, against ~45 µs for
 * open-loop.ts, and what the client takes the server loses, in its tail latency above all.
 *
 * What it relies on, instead of decoding the server's HPACK headers: a unary call that succeeds is
 * answered with its message (a DATA frame) and then trailers; a call that fails is answered with
 * trailers only (gRPC's "Trailers-Only" response, which grpc-js sends for every error before a
 * message). A call that ends without a message, or is reset, counts as a failure.
 *
 * grpcJsOpenLoop drives the same slots with @grpc/grpc-js as the client, for comparison.
 */
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Arrivals } from './arrivals';
import type { OpenLoopResult } from './open-loop';

export interface GrpcOpenLoopOptions {
  /** `127.0.0.1:<port>` or `[::1]:<port>`: load goes to loopback only. */
  target: string;
  /** Full method path, e.g. /inference.GRPCInferenceService/ModelInfer. */
  method: string;
  /** The serialized request message. */
  request: Buffer;
  streams: number;
  /** HTTP/2 connections the slots are spread over (default 1: one channel, as one grpc-js client opens). */
  channels?: number;
  rate: number;
  seconds: number;
}

const TICK_MS = 1;
const DRAIN_MS = 30_000;

const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 };
const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 };
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** RFC 9113's default frame size and initial windows, which the server may not have raised. */
const MAX_FRAME = 16_384;
const DEFAULT_WINDOW = 65_535;
const MAX_WINDOW = 2 ** 31 - 1;

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId, 5);
  payload.copy(out, 9);
  return out;
}

/** An HPACK integer with an `n`-bit prefix whose high bits are `high` (RFC 7541 §5.1). */
function hpackInt(value: number, n: number, high: number): number[] {
  const max = (1 << n) - 1;
  if (value < max) return [high | value];
  const out = [high | max];
  for (value -= max; value >= 128; value >>= 7) out.push((value & 127) | 128);
  out.push(value);
  return out;
}

const hpackString = (s: string) => [...hpackInt(Buffer.byteLength(s), 7, 0), ...Buffer.from(s)];

/**
 * The request's header block, literals that never enter the server's dynamic table, so one encoding
 * serves every call: `:method POST` and `:scheme http` from the static table (indices 3 and 6),
 * `:path`, `:authority` and `content-type` with static-table names (4, 1, 31), `te` spelled out.
 */
function requestHeaderBlock(authority: string, path: string): Buffer {
  const indexedName = (index: number, value: string) => [...hpackInt(index, 4, 0), ...hpackString(value)];
  return Buffer.from([
    0x83,
    0x86,
    ...indexedName(4, path),
    ...indexedName(1, authority),
    ...indexedName(31, 'application/grpc'),
    0x00,
    ...hpackString('te'),
    ...hpackString('trailers'),
  ]);
}

/** The length-prefixed message of a unary call: uncompressed flag, 32-bit big-endian length, bytes. */
export function grpcMessage(message: Buffer): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/** One HTTP/2 connection carrying unary calls; `onEnd` hears each call's end, in any order. */
class Channel {
  private readonly socket: net.Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private nextStreamId = 1;
  /** Open streams -> whether the answer's message has arrived. */
  private readonly open = new Map<number, { slot: number; message: boolean }>();
  /** Calls waiting for the server to open its connection-level receive window. */
  private readonly waiting: number[] = [];
  private sendWindow = DEFAULT_WINDOW;
  private unacknowledged = 0;
  private closed = false;

  constructor(
    host: string,
    port: number,
    /** HEADERS then DATA, stream ids 0, patched per call. */
    private readonly call: Buffer,
    private readonly dataOffset: number,
    private readonly onEnd: (slot: number, ok: boolean) => void,
  ) {
    this.socket = net.connect({ host, port, noDelay: true });
    const settings = Buffer.alloc(12);
    settings.writeUInt16BE(0x2, 0); // ENABLE_PUSH = 0
    settings.writeUInt16BE(0x4, 6); // INITIAL_WINDOW_SIZE: answers never wait for a stream WINDOW_UPDATE
    settings.writeUInt32BE(MAX_WINDOW, 8);
    const connectionWindow = Buffer.alloc(4);
    connectionWindow.writeUInt32BE(MAX_WINDOW - DEFAULT_WINDOW);
    this.socket.write(
      Buffer.concat([
        PREFACE,
        frame(FRAME.SETTINGS, 0, 0, settings),
        frame(FRAME.WINDOW_UPDATE, 0, 0, connectionWindow),
      ]),
    );
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.socket.on('error', () => this.fail());
    this.socket.on('close', () => this.fail());
  }

  send(slot: number): void {
    if (this.closed) return this.onEnd(slot, false);
    const dataLength = this.call.length - this.dataOffset - 9;
    if (this.waiting.length > 0 || this.sendWindow < dataLength) {
      this.waiting.push(slot);
      return;
    }
    this.sendWindow -= dataLength;
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const bytes = Buffer.from(this.call);
    bytes.writeUInt32BE(id, 5);
    bytes.writeUInt32BE(id, this.dataOffset + 5);
    this.open.set(id, { slot, message: false });
    this.socket.write(bytes);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    while (this.buffered.length >= 9) {
      const length = this.buffered.readUIntBE(0, 3);
      if (this.buffered.length < 9 + length) return;
      const type = this.buffered[3];
      const flags = this.buffered[4];
      const id = this.buffered.readUInt32BE(5) & 0x7fffffff;
      const payload = this.buffered.subarray(9, 9 + length);
      this.buffered = this.buffered.subarray(9 + length);
      this.onFrame(type, flags, id, payload);
    }
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): void {
    const stream = this.open.get(id);
    switch (type) {
      case FRAME.DATA:
        if (stream) stream.message = true;
        this.unacknowledged += payload.length;
        if (this.unacknowledged > MAX_WINDOW / 2) {
          const increment = Buffer.alloc(4);
          increment.writeUInt32BE(this.unacknowledged);
          this.socket.write(frame(FRAME.WINDOW_UPDATE, 0, 0, increment));
          this.unacknowledged = 0;
        }
        if (flags & FLAG.END_STREAM) this.end(id, false); // a message without trailers
        return;
      case FRAME.HEADERS:
        // Response headers leave the stream open; trailers (or Trailers-Only) end it.
        if (flags & FLAG.END_STREAM) this.end(id, stream?.message === true);
        return;
      case FRAME.RST_STREAM:
        return this.end(id, false);
      case FRAME.SETTINGS:
        if (!(flags & FLAG.ACK)) this.socket.write(frame(FRAME.SETTINGS, FLAG.ACK, 0, Buffer.alloc(0)));
        return;
      case FRAME.PING:
        if (!(flags & FLAG.ACK)) this.socket.write(frame(FRAME.PING, FLAG.ACK, 0, payload));
        return;
      case FRAME.GOAWAY:
        return this.fail();
      case FRAME.WINDOW_UPDATE:
        if (id === 0) {
          this.sendWindow += payload.readUInt32BE(0) & 0x7fffffff;
          for (const slot of this.waiting.splice(0)) this.send(slot);
        }
        return;
    }
  }

  private end(id: number, ok: boolean): void {
    const stream = this.open.get(id);
    if (!stream) return;
    this.open.delete(id);
    this.onEnd(stream.slot, ok);
  }

  /** A connection that dies loses its open calls and the ones waiting to be sent: each fails. */
  private fail(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    const lost = [...[...this.open.values()].map((s) => s.slot), ...this.waiting.splice(0)];
    this.open.clear();
    for (const slot of lost) this.onEnd(slot, false);
  }
}

/** How a run's calls reach the server: `send(slot)` starts one call, whose end is reported to `onEnd`. */
export interface CallTransport {
  send(slot: number): void;
  close(): void;
}

type Connect = (onEnd: (slot: number, ok: boolean) => void) => CallTransport;

function checkOptions(o: GrpcOpenLoopOptions): RegExpExecArray {
  const target = /^(127\.0\.0\.1|\[::1\]):(\d+)$/.exec(o.target);
  if (!target) throw new Error(`gRPC open-loop load targets loopback only, got ${o.target}`);
  if (!(o.rate > 0) || !(o.seconds > 0) || !(o.streams >= 1))
    throw new Error('gRPC open-loop load needs a positive rate, duration and stream count');
  return target;
}

/** The open loop over call slots, whatever carries the calls. */
export async function slotOpenLoop(o: GrpcOpenLoopOptions, connect: Connect): Promise<OpenLoopResult> {
  const latenciesMs: number[] = [];
  const fromDueMs: number[] = [];
  let failures = 0;
  let completed = 0;
  /** Per slot, the arrivals it carries or holds, by index. */
  const queues: number[][] = Array.from({ length: o.streams }, () => []);
  let settle: (() => void) | undefined;
  let sentAll = false;
  const schedule = new Arrivals(o.rate, Math.round(o.rate * o.seconds));
  const transport = connect((slot, ok) => {
    const arrival = queues[slot].shift()!;
    completed++;
    if (ok) {
      const ms = schedule.answered(arrival);
      latenciesMs.push(ms.fromHandOff);
      fromDueMs.push(ms.fromDue);
    } else failures++;
    if (queues[slot].length > 0) transport.send(slot);
    else if (sentAll && completed === schedule.offered) settle?.();
  });

  const send = (arrival: number) => {
    const slot = arrival % o.streams;
    queues[slot].push(arrival);
    if (queues[slot].length === 1) transport.send(slot);
  };
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (!schedule.handDue(send)) return;
      clearInterval(timer);
      resolve();
    }, TICK_MS);
  });
  const offered = schedule.offered;
  sentAll = true;
  if (completed < offered) {
    let drain: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      settle = resolve;
      drain = setTimeout(resolve, DRAIN_MS);
    });
    clearTimeout(drain);
  }
  const elapsedS = (performance.now() - schedule.started) / 1000;
  transport.close();
  return {
    offered,
    completed,
    failures: failures + (offered - completed),
    latenciesMs,
    fromDueMs,
    sendLagMs: schedule.sendLagMs,
    elapsedS,
  };
}

export async function grpcOpenLoop(o: GrpcOpenLoopOptions): Promise<OpenLoopResult> {
  const target = checkOptions(o);
  const message = grpcMessage(o.request);
  if (message.length > MAX_FRAME)
    throw new Error(`gRPC open-loop sends one DATA frame per call: at most ${MAX_FRAME - 5} request bytes`);
  const headers = frame(FRAME.HEADERS, FLAG.END_HEADERS, 0, requestHeaderBlock(o.target, o.method));
  const call = Buffer.concat([headers, frame(FRAME.DATA, FLAG.END_STREAM, 0, message)]);
  const host = target[1].replace(/^\[|\]$/g, '');
  return slotOpenLoop(o, (onEnd) => {
    const channels = Array.from(
      { length: o.channels ?? 1 },
      () => new Channel(host, Number(target[2]), call, headers.length, onEnd),
    );
    return {
      send: (slot) => channels[slot % channels.length].send(slot),
      close: () => channels.forEach((c) => c.close()),
    };
  });
}

const identity = (b: Buffer) => b;

/**
 * The same load with @grpc/grpc-js as the client (one grpc.Client per channel), for comparison:
 * what a general-purpose client costs the shared cores, and what that does to the server's tail.
 */
export async function grpcJsOpenLoop(o: GrpcOpenLoopOptions): Promise<OpenLoopResult> {
  checkOptions(o);
  return slotOpenLoop(o, (onEnd) => {
    // Distinct channel options keep grpc-js from sharing one connection between the clients.
    const clients = Array.from(
      { length: o.channels ?? 1 },
      (_, i) => new grpc.Client(o.target, grpc.credentials.createInsecure(), { 'bench.channel': i }),
    );
    return {
      send: (slot) =>
        clients[slot % clients.length].makeUnaryRequest(o.method, identity, identity, o.request, (err) =>
          onEnd(slot, !err),
        ),
      close: () => clients.forEach((c) => c.close()),
    };
  });
}
