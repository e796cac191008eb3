/**
 * JSON decoding of large float tensors on its own: the REST decoder (protocol/infer-request.ts)
 * without the numeric-array scan, with it (its arrays read by WebAssembly, and by the JS reader
 * alone), and the same tensor in the binary tensor extension, in interleaved rounds. Prints CPU ns per value and µs per request (CPU time, as the machine is
 * shared).
 *
 * `scan JS` is the scan with WebAssembly off, as before it. `joined` and `chunks` start from the body
 * in 64 KiB chunks, as a socket hands it over: joined with Buffer.concat and then decoded (the
 * service before it took the chunks), and decoded from the chunks, joined in WebAssembly memory.
 *
 *   npx tsx service/bench/json-decode.ts [--rounds 5] [--iterations 400]
 */
import { decodeInferRequest } from '../src/protocol/infer-request';
import { median } from './rounds';
import { numberArg } from './args';

const ROUNDS = numberArg('rounds', 5);
const ITERATIONS = numberArg('iterations', 400);

/** Deterministic values in [-1, 1) so every run decodes the same bytes. */
function values(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 30 - 1;
  });
}

interface Case {
  name: string;
  body: Buffer;
  values: number;
  /** The same tensor in the binary tensor extension: JSON header, then little-endian FP32. */
  binary: { body: Buffer; headerLength: number };
}

function body(rows: number, cols: number, format: (v: number) => number, nested: boolean) {
  const flat = values(rows * cols, 7).map(format);
  const data = nested ? Array.from({ length: rows }, (_, r) => flat.slice(r * cols, (r + 1) * cols)) : flat;
  const input = { name: 'input', datatype: 'FP32', shape: [rows, cols] };
  const bytes = Buffer.from(Float32Array.from(flat).buffer);
  const header = Buffer.from(
    JSON.stringify({ inputs: [{ ...input, parameters: { binary_data_size: bytes.length } }] }),
  );
  return {
    body: Buffer.from(JSON.stringify({ inputs: [{ ...input, data }] })),
    values: rows * cols,
    binary: { body: Buffer.concat([header, bytes]), headerLength: header.length },
  };
}

// What clients send: FP32 values printed as the shortest double (numpy's tolist() of a float32
// array, about 17 digits), and values rounded to 6 decimals.
const CASES: Case[] = [
  {
    name: '32x256 FP32, float32 printed as double, flat',
    ...body(32, 256, Math.fround, false),
  },
  {
    name: '32x256 FP32, float32 printed as double, nested',
    ...body(32, 256, Math.fround, true),
  },
  {
    name: '32x256 FP32, 6 decimals, flat',
    ...body(32, 256, (v) => Number(v.toFixed(6)), false),
  },
  { name: '1x256 FP32, float32 printed as double', ...body(1, 256, Math.fround, false) },
  { name: '1x30 FP32 (classifier)', ...body(1, 30, Math.fround, false) },
];

/** CPU time (not wall time: the machine is shared) per call of `run`, in ns. */
function nsPer(run: () => unknown): number {
  const started = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i++) run();
  const used = process.cpuUsage(started);
  return ((used.user + used.system) * 1000) / ITERATIONS;
}

const nsPerRequest = (b: Buffer, scanFrom: number, headerLength?: number, wasm = true) =>
  nsPer(() => decodeInferRequest(b, headerLength, scanFrom, wasm));

/** The body as a socket hands it over: chunks of at most 64 KiB, each a buffer of its own. */
const CHUNK = 65536;
const chunksOf = (b: Buffer) =>
  Array.from({ length: Math.ceil(b.length / CHUNK) }, (_, k) =>
    Buffer.from(b.subarray(k * CHUNK, (k + 1) * CHUNK)),
  );

function main() {
  console.log(`# JSON decode (${ROUNDS} interleaved rounds x ${ITERATIONS} decodes, median)`);
  for (const c of CASES) {
    // Same tensor both ways before timing anything.
    const plain = decodeInferRequest(c.body, undefined, Infinity).inputs[0].data as Float32Array;
    for (const wasm of [true, false]) {
      const scanned = decodeInferRequest(c.body, undefined, 0, wasm).inputs[0].data as Float32Array;
      if (!Buffer.from(plain.buffer).equals(Buffer.from(scanned.buffer))) {
        throw new Error(`${c.name}: the scan (wasm ${wasm}) decodes different values`);
      }
    }
    const chunks = chunksOf(c.body);
    const joined = () => nsPer(() => decodeInferRequest(Buffer.concat(chunks)));
    const chunked = () => nsPer(() => decodeInferRequest(chunks));
    const fromChunks = decodeInferRequest(chunks).inputs[0].data as Float32Array;
    if (!Buffer.from(plain.buffer).equals(Buffer.from(fromChunks.buffer))) {
      throw new Error(`${c.name}: the decode of the chunks gives different values`);
    }
    const { body: bin, headerLength } = c.binary;
    joined();
    chunked();
    nsPerRequest(c.body, Infinity);
    nsPerRequest(c.body, 0);
    nsPerRequest(c.body, 0, undefined, false);
    nsPerRequest(bin, 0, headerLength);
    const runs = {
      plain: [] as number[],
      scan: [] as number[],
      js: [] as number[],
      binary: [] as number[],
      joined: [] as number[],
      chunks: [] as number[],
    };
    for (let r = 0; r < ROUNDS; r++) {
      runs.joined.push(joined());
      runs.chunks.push(chunked());
      runs.plain.push(nsPerRequest(c.body, Infinity));
      runs.scan.push(nsPerRequest(c.body, 0));
      runs.js.push(nsPerRequest(c.body, 0, undefined, false));
      runs.binary.push(nsPerRequest(bin, 0, headerLength));
    }
    const line = (label: string, xs: number[]) =>
      `  ${label.padEnd(7)} ${(median(xs) / c.values).toFixed(1).padStart(6)} ns/value ${(median(xs) / 1000)
        .toFixed(1)
        .padStart(8)} us/request   rounds: ${xs.map((x) => (x / c.values).toFixed(1)).join(' ')}`;
    console.log(`${c.name} (JSON ${c.body.length} bytes, binary ${bin.length} bytes)`);
    console.log(line('plain', runs.plain));
    console.log(line('scan', runs.scan));
    console.log(line('scan JS', runs.js));
    console.log(line('binary', runs.binary));
    console.log(line('joined', runs.joined));
    console.log(line('chunks', runs.chunks));
    console.log(
      `  scan / plain ${(median(runs.scan) / median(runs.plain)).toFixed(2)}, ` +
        `scan / scan JS ${(median(runs.scan) / median(runs.js)).toFixed(2)}, ` +
        `chunks / joined ${(median(runs.chunks) / median(runs.joined)).toFixed(2)}`,
    );
  }
}

main();
