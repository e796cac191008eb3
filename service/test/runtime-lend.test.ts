import { join } from 'node:path';
import { silentLogger } from '../src/core/logger';
import type { Tensor } from '../src/core/tensor';
import { BatchBuffers, concatInputs, releaseInputs } from '../src/batching/tensor-batch';
import type { OpenedModel } from '../src/runtime/ort-runner';
import { SessionPool } from '../src/runtime/session-pool';
import { apartFromInputs } from '../src/runtime/worker-protocol';
import { createEngine, type Engine } from '../src/engine';
import { BUNDLED, FLAKY_BY_SIZE, TempRepo, farDeadline, fp32Rows } from './engine-support/repo';

/**
 * A batch's concatenation buffer lent to an onnxruntime thread (RunOptions.lend): moved there and
 * back, never left with a reader while the pool hands it to the next batch. Real sessions on real
 * worker threads; the inline lane is off so that every run crosses a thread.
 */
const MODEL = join(BUNDLED, 'breast-cancer', '1', 'model.onnx');
const CONFIG = {
  intra_op_num_threads: 1,
  inter_op_num_threads: 1,
  graph_optimization_level: 'all',
  execution_providers: ['cpu'],
} as Parameters<SessionPool['open']>[1];
const OUTPUTS = ['label', 'probabilities'];
const values = (t: Tensor) => Array.from(t.data as Float32Array);

describe('runtime: lending a batch buffer to the onnxruntime thread', () => {
  let pool: SessionPool;
  let model: OpenedModel;

  beforeAll(async () => {
    pool = new SessionPool(silentLogger, 2, 0);
    model = await pool.open(MODEL, CONFIG, silentLogger, 2);
  });
  afterAll(async () => {
    await model.release();
    await pool.close();
  });

  test('a lent run moves the input away and hands the same values back, with the outputs of a copied run', async () => {
    const input = fp32Rows('input', 5, 30, 1);
    const want = values(input);
    const copied = await model.run([{ ...input, data: (input.data as Float32Array).slice() }], OUTPUTS);
    expect(copied.inputs).toBeUndefined();

    const lent = await model.run([input], OUTPUTS, { lend: true });
    expect((input.data as Float32Array).buffer.byteLength).toBe(0); // moved, not copied
    expect(lent.inputs).toHaveLength(1);
    expect(lent.inputs![0].shape).toEqual([5, 30]);
    expect(values(lent.inputs![0])).toEqual(want);
    expect(lent.outputs.map((o) => [o.name, o.shape, Array.from(o.data as ArrayLike<unknown>)])).toEqual(
      copied.outputs.map((o) => [o.name, o.shape, Array.from(o.data as ArrayLike<unknown>)]),
    );
  });

  test('a run that is not lent leaves the caller its input', async () => {
    const input = fp32Rows('input', 2, 30, 2);
    const ran = await model.run([input], OUTPUTS);
    expect(ran.inputs).toBeUndefined();
    expect((input.data as Float32Array).length).toBe(60);
  });

  test('the returned buffer goes back to the pool; a batch in flight never shares one with another or with an output', async () => {
    const buffers = new BatchBuffers();
    const requests = [1, 2, 3, 4].map((seed) => [fp32Rows('input', 2, 30, seed)]);
    const a = concatInputs(requests.slice(0, 2), 4, buffers);
    const b = concatInputs(requests.slice(2), 4, buffers);
    const bufferOf = (t: Tensor) => (t.data as Float32Array).buffer;
    expect(bufferOf(a[0])).not.toBe(bufferOf(b[0]));
    const [ranA, ranB] = await Promise.all([
      model.run(a, OUTPUTS, { lend: true }),
      model.run(b, OUTPUTS, { lend: true }),
    ]);
    const back = [bufferOf(ranA.inputs![0]), bufferOf(ranB.inputs![0])];
    const outputs = [...ranA.outputs, ...ranB.outputs].map((o) => (o.data as Float32Array).buffer);
    for (const buffer of back) expect(outputs).not.toContain(buffer);

    releaseInputs(ranA.inputs!, buffers);
    const next = concatInputs(requests.slice(1, 3), 4, buffers);
    expect(bufferOf(next[0])).toBe(back[0]); // reused once handed back...
    expect(values(next[0])).toEqual([...values(requests[1][0]), ...values(requests[2][0])]);
    // ...while B's buffer, not yet released, is not lent to anything else.
    const another = concatInputs(requests.slice(0, 2), 4, buffers);
    expect(bufferOf(another[0])).not.toBe(back[1]);
  });
});

describe('apartFromInputs', () => {
  test('an output on a lent input’s memory is copied; the others are passed through as they are', () => {
    const input = fp32Rows('input', 2, 3, 1);
    const onInput: Tensor = {
      name: 'same',
      datatype: 'FP32',
      shape: [2, 3],
      data: (input.data as Float32Array).subarray(0, 6),
    };
    const own: Tensor = { name: 'own', datatype: 'FP32', shape: [2], data: new Float32Array([1, 2]) };
    const [copied, kept] = apartFromInputs([onInput, own], [input]);
    expect((copied.data as Float32Array).buffer).not.toBe((input.data as Float32Array).buffer);
    expect(values(copied)).toEqual(values(input));
    expect(kept).toBe(own);
  });
});

describe('engine: lent batches on onnxruntime threads', () => {
  let repo: TempRepo;
  let engine: Engine;

  beforeAll(async () => {
    repo = new TempRepo({
      'breast-cancer': { from: join(BUNDLED, 'breast-cancer'), versions: ['1'] },
      flaky: FLAKY_BY_SIZE,
    });
    engine = createEngine({ repositoryPath: repo.path, pool: new SessionPool(silentLogger, 2, 0) });
    await engine.loaded;
  });
  afterAll(async () => {
    await engine.close();
    repo.remove();
  });

  const index = (i: number): Tensor => ({
    name: 'index',
    datatype: 'INT64',
    shape: [1, 1],
    data: new BigInt64Array([BigInt(i)]),
  });
  const infer = (model: string, inputs: Tensor[]) =>
    engine.infer(model, undefined, { inputs, deadline: farDeadline() });

  test('a batch that fails on its thread, its buffer lost there, fails its requests and the queue goes on', async () => {
    const good = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => infer('flaky', [index(i)]));
    const bad = [9, 50, 3].map((i) =>
      infer('flaky', [index(i)]).then(
        () => 'ok',
        (e: Error) => e.message,
      ),
    );
    await Promise.all(good);
    expect(await Promise.all(bad)).toEqual(
      Array(3).fill(expect.stringMatching(/failed to run a batch of 3 rows/)) as string[],
    );
    const after = await infer('flaky', [index(9)]);
    expect((after.outputs[0].data as Float32Array)[0]).toBeCloseTo(0.9, 6);
  });

  test('requests keep their own tensors, whether batched with others or alone', async () => {
    const inputs = [1, 2, 3].map((seed) => fp32Rows('input', 2, 30, seed));
    const copies = inputs.map(values);
    await Promise.all(inputs.map((input) => infer('breast-cancer', [input])));
    const alone = fp32Rows('input', 3, 30, 9);
    await infer('breast-cancer', [alone]);
    expect(inputs.map(values)).toEqual(copies);
    expect((alone.data as Float32Array).length).toBe(90);
  });
});
