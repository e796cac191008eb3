import http from 'node:http';
import net from 'node:net';
import {
  breastCancerRequest,
  postJson,
  startTestService,
  tempRepository,
  type TestService,
} from './http-support';

/** The real service on the bundled models, over loopback HTTP. */
let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
  await svc.loaded;
}, 60_000);
afterAll(() => svc?.stop(5000));

const infer = (model: string, body: unknown, headers?: Record<string, string>) =>
  postJson(`${svc.url}/v2/models/${model}/infer`, body, headers);

/** breast-cancer sends a share of unversioned traffic to its canary: comparisons pin one version. */
const PINNED = 'breast-cancer/versions/1';

async function getJson(path: string) {
  const res = await fetch(`${svc.url}${path}`);
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

describe('health, server and model metadata', () => {
  it('answers live and ready once every model is loaded', async () => {
    expect(await getJson('/v2/health/live')).toMatchObject({ status: 200, json: { live: true } });
    expect(await getJson('/v2/health/ready')).toMatchObject({ status: 200, json: { ready: true } });
  });

  it('lists the implemented extensions in server metadata', async () => {
    const { status, json } = await getJson('/v2');
    expect(status).toBe(200);
    expect(json).toMatchObject({
      name: 'ml-platform-inference',
      extensions: ['binary_tensor_data', 'classification', 'model_repository'],
    });
  });

  it('serves model metadata, with and without a version segment', async () => {
    const all = await getJson('/v2/models/breast-cancer');
    expect(all.status).toBe(200);
    expect(all.json).toMatchObject({
      name: 'breast-cancer',
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 30] }],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
    });
    expect([...(all.json.versions as string[])].sort()).toEqual(['1', '2']);
    expect((await getJson('/v2/models/breast-cancer/versions/1')).status).toBe(200);
    expect((await getJson('/v2/models/breast-cancer/ready')).json).toEqual({
      name: 'breast-cancer',
      ready: true,
    });
    expect((await getJson('/v2/models/breast-cancer/versions/1/ready')).status).toBe(200);
  });

  it('answers 404 for an unknown model or version, and for unknown routes', async () => {
    for (const path of [
      '/v2/models/nope',
      '/v2/models/breast-cancer/versions/9',
      '/v2/models/nope/ready',
      '/v3',
    ]) {
      const { status, json } = await getJson(path);
      expect(status).toBe(404);
      expect(typeof json.error).toBe('string');
    }
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const res = await fetch(`${svc.url}/v2/models/breast-cancer/infer`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    const res2 = await fetch(`${svc.url}/v2/health/live`, { method: 'DELETE' });
    expect(res2.status).toBe(405);
    expect(res2.headers.get('allow')).toBe('GET');
  });
});

describe('inference', () => {
  it('echoes id and request id, returns flat row-major outputs', async () => {
    const res = await infer('breast-cancer', breastCancerRequest(3, { id: 'req-42' }), {
      'x-request-id': 'abc-123',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(res.json).toMatchObject({ model_name: 'breast-cancer', id: 'req-42' });
    const outputs = res.json.outputs as { name: string; shape: number[]; data: number[] }[];
    expect(outputs.map((o) => [o.name, o.shape, o.data.length])).toEqual([
      ['label', [3], 3],
      ['probabilities', [3, 2], 6],
    ]);
    const generated = await infer('breast-cancer', breastCancerRequest());
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.json.id).toBeUndefined();
  });

  it('returns only the requested outputs and honours the version segment', async () => {
    const res = await postJson(
      `${svc.url}/v2/models/breast-cancer/versions/1/infer`,
      breastCancerRequest(1, { outputs: [{ name: 'probabilities' }] }),
    );
    expect(res.status).toBe(200);
    expect(res.json.model_version).toBe('1');
    expect((res.json.outputs as { name: string }[]).map((o) => o.name)).toEqual(['probabilities']);
  });

  it('accepts nested data with the same result as flat data', async () => {
    const flat = breastCancerRequest(2);
    const d = flat.inputs[0].data;
    const nested = { inputs: [{ ...flat.inputs[0], data: [d.slice(0, 30), d.slice(30)] }] };
    const a = await infer(PINNED, flat);
    const b = await infer(PINNED, nested);
    expect(b.status).toBe(200);
    expect(b.json.outputs).toEqual(a.json.outputs);
  });

  it('serves a model without a batch dimension (digits, UINT8)', async () => {
    const res = await infer('digits', {
      inputs: [{ name: 'pixels', datatype: 'UINT8', shape: [64], data: new Array(64).fill(8) }],
    });
    expect(res.status).toBe(200);
    const label = (res.json.outputs as { name: string; data: number[] }[]).find((o) => o.name === 'label')!;
    expect(label.data[0]).toBeGreaterThanOrEqual(0);
    expect(label.data[0]).toBeLessThan(10);
  });

  it('takes binary input and gives binary output (Inference-Header-Content-Length)', async () => {
    const body = breastCancerRequest(2);
    const viaJson = await infer(PINNED, body);
    const features = Buffer.from(Float32Array.from(body.inputs[0].data).buffer);
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          {
            name: 'input',
            shape: [2, 30],
            datatype: 'FP32',
            parameters: { binary_data_size: features.length },
          },
        ],
        outputs: [{ name: 'probabilities', parameters: { binary_data: true } }, { name: 'label' }],
      }),
    );
    const res = await fetch(`${svc.url}/v2/models/${PINNED}/infer`, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(header.length),
      },
      body: Buffer.concat([header, features]),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const bytes = Buffer.from(await res.arrayBuffer());
    const jsonLength = Number(res.headers.get('inference-header-content-length'));
    const head = JSON.parse(bytes.toString('utf8', 0, jsonLength));
    expect(head.outputs[0]).toEqual({
      name: 'probabilities',
      datatype: 'FP32',
      shape: [2, 2],
      parameters: { binary_data_size: 16 },
    });
    expect(bytes.length).toBe(jsonLength + 16);
    const probs = [0, 1, 2, 3].map((i) => bytes.readFloatLE(jsonLength + i * 4));
    const expected = (viaJson.json.outputs as { name: string; data: number[] }[]).find(
      (o) => o.name === 'probabilities',
    )!;
    expect(probs).toEqual(expected.data);
    expect(head.outputs[1].data).toEqual((viaJson.json.outputs as { data: number[] }[])[0].data);
  });

  it('returns every output in binary with binary_data_output', async () => {
    const res = await fetch(`${svc.url}/v2/models/heavy-mlp/infer`, {
      method: 'POST',
      body: JSON.stringify({
        parameters: { binary_data_output: true },
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 256], data: new Array(256).fill(0.1) }],
      }),
    });
    expect(res.status).toBe(200);
    const len = Number(res.headers.get('inference-header-content-length'));
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(JSON.parse(bytes.toString('utf8', 0, len)).outputs[0].parameters.binary_data_size).toBe(64);
    expect(bytes.length).toBe(len + 64);
  });
});

describe('bad input: status and a message naming the field', () => {
  const one = (over: Record<string, unknown>) => ({
    inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: new Array(30).fill(1), ...over }],
  });

  it.each([
    ['malformed JSON', '{"inputs": [', /not valid JSON/],
    ['an unknown input', one({ name: 'bogus' }), /unknown input 'bogus'.*input/],
    ['a wrong datatype', one({ datatype: 'FP64' }), /input 'input'.*expected datatype FP32, got FP64/],
    ['a wrong shape', one({ shape: [1, 29], data: new Array(29).fill(1) }), /input 'input'.*shape/],
    [
      'an element count that does not match the shape',
      one({ data: new Array(31).fill(1) }),
      /input 'input'.*needs 30 elements, data has 31/,
    ],
    [
      'a value of the wrong type',
      one({ data: [...new Array(29).fill(1), 'x'] }),
      /input 'input': data\[29\] must be a number/,
    ],
    ['an unknown requested output', { ...one({}), outputs: [{ name: 'nope' }] }, /nope/],
    ['a missing inputs array', { id: 'x' }, /inputs must be a non-empty array/],
  ])('400 for %s', async (_what, body, pattern) => {
    const res = await infer('breast-cancer', body);
    expect(res.status).toBe(400);
    expect(Object.keys(res.json)).toEqual(['error']);
    expect(res.json.error).toMatch(pattern);
  });

  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
  ])('400 for %s in a floating input (binary, since JSON cannot carry it)', async (_what, value) => {
    const features = Float32Array.from(new Array(30).fill(1));
    features[7] = value;
    const data = Buffer.from(features.buffer);
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'input', shape: [1, 30], datatype: 'FP32', parameters: { binary_data_size: data.length } },
        ],
      }),
    );
    const res = await fetch(`${svc.url}/v2/models/breast-cancer/infer`, {
      method: 'POST',
      headers: { 'inference-header-content-length': String(header.length) },
      body: Buffer.concat([header, data]),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/input 'input'.*element 7.*finite/);
  });

  it('404 for an unknown model or version on infer', async () => {
    const a = await infer('no-such-model', breastCancerRequest());
    expect(a.status).toBe(404);
    expect(a.json.error).toMatch(/no-such-model/);
    const b = await postJson(`${svc.url}/v2/models/breast-cancer/versions/7/infer`, breastCancerRequest());
    expect(b.status).toBe(404);
    expect(b.json.error).toMatch(/7/);
  });
});

describe('repository extension and metrics', () => {
  it('indexes, unloads and reloads a model', async () => {
    const index = await postJson(`${svc.url}/v2/repository/index`, {});
    expect(index.status).toBe(200);
    expect(index.json).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'breast-cancer-lite', version: '1', state: 'READY' }),
      ]),
    );
    expect((await postJson(`${svc.url}/v2/repository/models/breast-cancer-lite/unload`, {})).status).toBe(
      200,
    );
    const gone = await infer('breast-cancer-lite', breastCancerRequest());
    expect(gone.status).toBeGreaterThanOrEqual(400);
    expect((await postJson(`${svc.url}/v2/repository/models/breast-cancer-lite/load`, {})).status).toBe(200);
    expect((await infer('breast-cancer-lite', breastCancerRequest())).status).toBe(200);
    const missing = await postJson(`${svc.url}/v2/repository/models/no-such-model/load`, {});
    expect(missing.status).toBe(404);
    const readyOnly = await postJson(`${svc.url}/v2/repository/index`, { ready: true });
    expect((readyOnly.json as unknown as { state: string }[]).every((e) => e.state === 'READY')).toBe(true);
    const malformed = await postJson(`${svc.url}/v2/repository/index`, '{"ready": ');
    expect(malformed.status).toBe(400);
    expect(typeof malformed.json.error).toBe('string');
    const wrongType = await postJson(`${svc.url}/v2/repository/index`, { ready: 'yes' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.error).toMatch(/ready must be a boolean/);
  });

  it('exposes request, queue, compute and batch metrics labelled by model and version', async () => {
    await postJson(`${svc.url}/v2/models/breast-cancer/versions/2/infer`, breastCancerRequest());
    await infer('no-such-model', breastCancerRequest());
    await infer('heavy-mlp', {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 256], data: new Array(256).fill(0) }],
    });
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    expect(text).toMatch(
      /inference_requests_total\{model="breast-cancer",version="2",status="200",protocol="rest"\} [1-9]/,
    );
    expect(text).toMatch(
      /inference_requests_total\{model="\(unknown\)",version="\(unknown\)",status="404",protocol="rest"\} [1-9]/,
    );
    expect(text).toMatch(
      /inference_request_duration_seconds_bucket\{le="0.005",model="breast-cancer",version="2",protocol="rest"\}/,
    );
    expect(text).toMatch(/inference_queue_duration_seconds_count\{model="breast-cancer",version="2"\} [1-9]/);
    expect(text).toMatch(/inference_compute_duration_seconds_count\{model="heavy-mlp",version="1"\} [1-9]/);
    expect(text).toMatch(/inference_batch_size_sum\{model="breast-cancer",version="2"\} [1-9]/);
    expect(text).toMatch(/inference_queue_depth\{model="breast-cancer",version="2"\} 0/);
    expect(text).toMatch(/model_load_duration_seconds_count\{model="heavy-mlp",version="1"\} 1/);
    expect(text).not.toMatch(/no-such-model/);
  });
});

describe('limits and availability (overload and deadlines: lifecycle-drain.test.ts)', () => {
  it('408 and a closed connection for a client too slow with its headers or its body', async () => {
    const repo = tempRepository(['breast-cancer-lite']);
    const slow = await startTestService(
      { MODEL_REPOSITORY: repo.dir },
      { timeouts: { headersTimeout: 500, requestTimeout: 1000, connectionsCheckingInterval: 100 } },
    );
    /** Sends `text`, then nothing; resolves with what the server said before closing, and when. */
    const stall = (text: string) =>
      new Promise<{ reply: string; ms: number }>((resolve, reject) => {
        const started = Date.now();
        let reply = '';
        const socket = net.connect(slow.address.port, '127.0.0.1', () => socket.write(text));
        socket.on('data', (d) => (reply += d.toString()));
        socket.on('close', () => resolve({ reply, ms: Date.now() - started }));
        socket.on('error', reject);
        socket.setTimeout(10_000, () => socket.destroy(new Error('the server never closed the connection')));
      });
    try {
      const headers = await stall('POST /v2/models/breast-cancer-lite/infer HTTP/1.1\r\nHost: x\r\n');
      expect(headers.reply).toMatch(/^HTTP\/1\.1 408/);
      expect(headers.ms).toBeLessThan(5000);
      const body = await stall(
        'POST /v2/models/breast-cancer-lite/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"inputs":',
      );
      expect(body.ms).toBeLessThan(5000);
      expect(body.reply).not.toMatch(/^HTTP\/1\.1 200/);
    } finally {
      await slow.stop(5000);
      repo.remove();
    }
  }, 60_000);

  it('413 for a body over MAX_BODY_BYTES, 503 + Retry-After while not ready', async () => {
    // A corrupt model never becomes ready, so the server never reports ready.
    const repo = tempRepository(['breast-cancer-lite', 'fixture:corrupt']);
    const small = await startTestService({ MODEL_REPOSITORY: repo.dir, MAX_BODY_BYTES: '2048' });
    try {
      await small.loaded;
      const big = await postJson(`${small.url}/v2/models/breast-cancer-lite/infer`, breastCancerRequest(20));
      expect(big.status).toBe(413);
      expect(big.json.error).toMatch(/2048-byte limit/);
      expect(big.headers.get('connection')).toBe('close');
      // Without a Content-Length (chunked), the body is cut off once it passes the limit.
      const chunked = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          `${small.url}/v2/models/breast-cancer-lite/infer`,
          { method: 'POST' },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', reject);
        req.write('{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 30], "data": [');
        req.write('1,'.repeat(1500));
        req.end('1]}]}');
      });
      expect(chunked).toBe(413);
      // A chunked body that arrives whole in one write is read from the stream's buffer (read-body.ts):
      // over the limit it is still refused, under it answered.
      const oneWrite = (data: string) =>
        new Promise<string>((resolve, reject) => {
          const body = `{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 30], "data": [${data}]}]}`;
          const chunk = `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
          let reply = '';
          const socket = net.connect(small.address.port, '127.0.0.1', () =>
            socket.write(
              `POST /v2/models/breast-cancer-lite/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`,
            ),
          );
          socket.on('data', (d) => {
            reply += d.toString();
            if (reply.includes('\r\n\r\n')) socket.destroy();
          });
          socket.on('close', () => resolve(reply));
          socket.on('error', reject);
        });
      expect(await oneWrite(`${'1,'.repeat(1500)}1`)).toMatch(/^HTTP\/1\.1 413 /);
      expect(await oneWrite(Array.from({ length: 30 }, () => '0.5').join(','))).toMatch(/^HTTP\/1\.1 200 /);
      expect(
        (await postJson(`${small.url}/v2/models/breast-cancer-lite/infer`, breastCancerRequest())).status,
      ).toBe(200);
      const ready = await fetch(`${small.url}/v2/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.headers.get('retry-after')).toMatch(/^\d+$/);
      const corrupt = await postJson(`${small.url}/v2/models/corrupt/infer`, breastCancerRequest());
      expect(corrupt.status).toBe(503);
      expect(corrupt.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await small.stop(5000);
      repo.remove();
    }
  }, 60_000);
});
