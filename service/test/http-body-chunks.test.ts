import http from 'node:http';
import { startTestService, tempRepository, type TestService } from './http-support';

/**
 * Large JSON bodies arrive in several chunks and are joined in the one WebAssembly memory of the
 * main thread (protocol/infer-request.ts): requests of different sizes, back to back and at once,
 * must each be answered from their own bytes.
 */
let svc: TestService;
let repo: ReturnType<typeof tempRepository>;
beforeAll(async () => {
  repo = tempRepository(['heavy-mlp']);
  svc = await startTestService({ MODEL_REPOSITORY: repo.dir });
  await svc.loaded;
}, 60_000);
afterAll(async () => {
  await svc?.stop(5000);
  repo?.remove();
});

const PATH = '/v2/models/heavy-mlp/versions/1/infer';
const FEATURES = 256;

/**
 * `rows` rows of values that differ per request (`seed`), each printed in six characters: two
 * requests of a size have bodies of one length, so bytes left from the one before would still
 * make valid JSON, only with the wrong values.
 */
const texts = (rows: number, seed: number) =>
  Array.from({ length: rows * FEATURES }, (_, k) =>
    ((((seed * 7919 + k * 31) % 997) + 0.5) / 1000 + 1).toFixed(4),
  );

/** The first output's data for a request body sent in `pieces` writes, a few ms apart. */
function post(body: Buffer, pieces: number, headers: Record<string, string> = {}): Promise<Float32Array> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${svc.url}${PATH}`,
      { method: 'POST', headers: { 'content-length': String(body.length), ...headers } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString();
          if (res.statusCode !== 200) return reject(new Error(`${res.statusCode}: ${text}`));
          const reply = JSON.parse(text) as { outputs: { data: number[] }[] };
          resolve(Float32Array.from(reply.outputs[0].data));
        });
      },
    );
    req.on('error', reject);
    const size = Math.ceil(body.length / pieces);
    let at = 0;
    const next = () => {
      const end = Math.min(at + size, body.length);
      req.write(body.subarray(at, end));
      at = end;
      if (at < body.length) setTimeout(next, 3);
      else req.end();
    };
    next();
  });
}

const jsonBody = (t: string[]) =>
  Buffer.from(
    `{"inputs":[{"name":"input","datatype":"FP32","shape":[${t.length / FEATURES},${FEATURES}],"data":[${t.join(',')}]}]}`,
  );

/** The same tensor in the binary extension: decoded without WebAssembly memory. */
function viaBinary(t: string[]): Promise<Float32Array> {
  const v = Float32Array.from(t, Number);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: 'input',
          datatype: 'FP32',
          shape: [v.length / FEATURES, FEATURES],
          parameters: { binary_data_size: v.byteLength },
        },
      ],
    }),
  );
  const body = Buffer.concat([header, Buffer.from(v.buffer, v.byteOffset, v.byteLength)]);
  return post(body, 1, { 'inference-header-content-length': String(header.length) });
}

/** Equal within FP32 rounding of a different batch (onnxruntime may sum in another order). */
function expectSameOutputs(got: Float32Array, want: Float32Array) {
  expect(got.length).toBe(want.length);
  const worst = Math.max(...Array.from(got, (g, k) => Math.abs(g - want[k]) / (Math.abs(want[k]) + 1e-3)));
  expect(worst).toBeLessThan(1e-4);
}

describe('large JSON bodies joined in WebAssembly memory', () => {
  const sizes = [32, 32, 3, 17, 17, 1];
  const tensors = sizes.map((rows, seed) => texts(rows, seed + 1));
  let expected: Float32Array[];
  beforeAll(async () => {
    expected = [];
    for (const v of tensors) expected.push(await viaBinary(v));
  }, 30_000);

  it('answers requests of different sizes back to back, each from its own bytes', async () => {
    for (const [k, v] of tensors.entries()) {
      expectSameOutputs(await post(jsonBody(v), 4), expected[k]);
    }
  }, 30_000);

  it('answers concurrent requests whose chunks interleave, each from its own bytes', async () => {
    const answers = await Promise.all(tensors.map((v, k) => post(jsonBody(v), 3 + (k % 3))));
    answers.forEach((got, k) => expectSameOutputs(got, expected[k]));
  }, 30_000);
});
