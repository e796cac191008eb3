/**
 * The request bodies the benchmarks send, built once so that every server in a comparison gets the
 * same bytes: heavy-mlp with N rows and the breast-cancer classifier with one held-out row.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../test/support/service-process';
import { modelInferRequest } from './grpc-requests';

const MODELS = path.join(REPO_ROOT, 'models');

const heavyRow = (r: number) => Array.from({ length: 256 }, (_, i) => ((i + r) % 17) / 17);

/** heavy-mlp inputs: `rows` × 256 FP32 values in [0, 1), nested row by row as numpy's tolist() gives them. */
export function heavyBody(rows: number): string {
  const data = rows === 1 ? heavyRow(0) : Array.from({ length: rows }, (_, r) => heavyRow(r));
  return JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 256], data }] });
}

/**
 * The same rows in the binary tensor extension: a JSON header, then the FP32 values little-endian;
 * `headerLength` goes in Inference-Header-Content-Length.
 */
export function heavyBinaryBody(rows: number): { body: Buffer; headerLength: number } {
  const values = Float32Array.from(Array.from({ length: rows }, (_, r) => heavyRow(r)).flat());
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: 'input',
          datatype: 'FP32',
          shape: [rows, 256],
          parameters: { binary_data_size: values.byteLength },
        },
      ],
    }),
  );
  return { body: Buffer.concat([header, Buffer.from(values.buffer)]), headerLength: header.length };
}

/** One heavy-mlp request of `rows` rows as JSON or in the binary extension, with its headers. */
export function heavyRequest(
  encoding: string,
  rows: number,
): { payload: string | Buffer; headers: Record<string, string> } {
  if (encoding === 'json') return { payload: heavyBody(rows), headers: {} };
  if (encoding !== 'binary') throw new Error('--encoding is json or binary');
  const { body, headerLength } = heavyBinaryBody(rows);
  return {
    payload: body,
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(headerLength),
    },
  };
}

const split = JSON.parse(readFileSync(path.join(MODELS, 'breast-cancer', 'testdata', 'test.json'), 'utf8'));

/** One breast-cancer row with the prediction cache off, so that the model runs on every request. */
export const classifierBody = JSON.stringify({
  parameters: { cache: false },
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], data: split.inputs[0] }],
});

/** The same row, cacheable: after the first request every repeat is a memory-tier hit. */
export const classifierHitBody = JSON.stringify({
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], data: split.inputs[0] }],
});

/**
 * `--hits` on a classifier bench's command line profiles memory-tier hits instead of model runs:
 * the REST body and the gRPC ModelInferRequest of the same row, both cacheable or both not.
 */
export function classifierBodyArg(argv: readonly string[] = process.argv): {
  body: string;
  grpc: Buffer;
  what: string;
} {
  const hits = argv.includes('--hits');
  return {
    body: hits ? classifierHitBody : classifierBody,
    grpc: modelInferRequest({
      model: 'breast-cancer',
      version: '1',
      input: 'input',
      shape: [1, 30],
      values: split.inputs[0],
      cache: hits,
    }),
    what: hits ? 'memory-tier hits' : 'cache off',
  };
}

/** Rows summed over executed batches of `model` (every version) and their count, from the service's histogram. */
export async function batchTotals(url: string, model: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const total = (suffix: string) =>
    [
      ...text.matchAll(
        new RegExp(`^inference_batch_size_${suffix}\\{model="${model}",[^}]*\\} ([\\d.e+]+)$`, 'gm'),
      ),
    ]
      .map((m) => Number(m[1]))
      .reduce((x, y) => x + y, 0);
  return { sum: total('sum'), count: total('count') };
}
