import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import { InferenceRequestSchema } from '@ml-platform/contract/wire';
import { breastCancerRequest, startTestService, tempRepository, type TestService } from './http-support';

/**
 * Real responses, checked against the OpenAPI document the server itself serves: the path, method
 * and status must be documented, and the body must match the documented schema.
 */
interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
}

const FLIGHT = { date: '2001-03-31T06:00:00Z', distance: 500, origin: 'SFO', destination: 'LAX' };

let svc: TestService;
let doc: OpenApiDoc;
let ajv: Ajv;
beforeAll(async () => {
  svc = await startTestService();
  await svc.loaded;
  doc = (await (await fetch(`${svc.url}/openapi.json`)).json()) as OpenApiDoc;
  ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ ...doc, $id: 'openapi' });
}, 60_000);
afterAll(() => svc?.stop(5000));

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

function templateOf(path: string): string {
  const match = Object.keys(doc.paths).find((t) =>
    new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
  );
  if (!match) throw new Error(`${path} is not in the OpenAPI document`);
  return match;
}

async function check(method: string, path: string, init: RequestInit = {}, base = svc.url): Promise<number> {
  const res = await fetch(`${base}${path}`, { method, ...init });
  const template = templateOf(path.split('?')[0]);
  const op = doc.paths[template][method.toLowerCase()];
  expect(op).toBeDefined();
  const documented = op.responses[String(res.status)];
  if (!documented)
    throw new Error(`${method} ${path} answered ${res.status}, which the document does not list`);
  const type = (res.headers.get('content-type') ?? '').split(';')[0];
  expect(Object.keys(documented.content ?? {})).toContain(type);
  if (type === 'application/json') {
    const body: unknown = await res.json();
    const ref = `openapi#/${pointer('paths', template, method.toLowerCase(), 'responses', String(res.status), 'content', type, 'schema')}`;
    const validate = ajv.getSchema(ref);
    expect(validate).toBeDefined();
    if (!validate!(body)) {
      throw new Error(
        `${method} ${path} ${res.status}: ${ajv.errorsText(validate!.errors)}\n${JSON.stringify(body)}`,
      );
    }
  } else {
    await res.arrayBuffer();
  }
  return res.status;
}

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  body: typeof body === 'string' ? body : JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});

describe('responses conform to GET /openapi.json', () => {
  it('is an OpenAPI 3 document covering every route', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/console',
        '/console/{asset}',
        '/metrics',
        '/openapi.json',
        '/v2',
        '/v2/console/status',
        '/v2/health/live',
        '/v2/health/ready',
        '/v2/models/{model}',
        '/v2/models/{model}/infer',
        '/v2/models/{model}/predict',
        '/v2/models/{model}/ready',
        '/v2/models/{model}/rollout',
        '/v2/models/{model}/feedback',
        '/v2/models/{model}/experiment',
        '/v2/models/{model}/versions/{version}',
        '/v2/models/{model}/versions/{version}/infer',
        '/v2/models/{model}/versions/{version}/ready',
        '/v2/repository/index',
        '/v2/repository/models/{model}/load',
        '/v2/repository/models/{model}/unload',
      ].sort(),
    );
  });

  it('is a valid OpenAPI 3.0.3 document', async () => {
    expect(doc.openapi).toBe('3.0.3');
    // The validator dereferences in place; the document stays as served for the other tests.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it.each([
    ['GET', '/v2/health/live', 200],
    ['GET', '/v2/health/ready', 200],
    ['GET', '/v2', 200],
    ['GET', '/v2/models/breast-cancer', 200],
    ['GET', '/v2/models/breast-cancer/versions/1', 200],
    ['GET', '/v2/models/nope', 404],
    ['GET', '/v2/models/breast-cancer/versions/5', 404],
    ['GET', '/v2/models/breast-cancer/ready', 200],
    ['GET', '/v2/models/breast-cancer/versions/2/ready', 200],
    ['GET', '/v2/models/nope/ready', 404],
    ['GET', '/v2/models/breast-cancer/rollout', 200],
    ['GET', '/v2/models/nope/rollout', 404],
    ['GET', '/v2/models/breast-cancer/experiment', 200],
    ['GET', '/metrics', 200],
    ['GET', '/openapi.json', 200],
    ['GET', '/console', 200],
    ['GET', '/console/console.js', 200],
    ['GET', '/console/nope.js', 404],
    ['GET', '/v2/console/status', 200],
    ['GET', '/v2/console/status?since=0', 200],
    ['GET', '/v2/console/status?since=yesterday', 400],
  ])('%s %s -> %i', async (method, path, status) => {
    expect(await check(method, path)).toBe(status);
  });

  it.each([
    ['a JSON inference', '/v2/models/breast-cancer/infer', breastCancerRequest(2, { id: 'x' }), 200],
    ['a versioned inference', '/v2/models/breast-cancer/versions/1/infer', breastCancerRequest(), 200],
    [
      'an inference with binary outputs',
      '/v2/models/breast-cancer/infer',
      breastCancerRequest(1, { parameters: { binary_data_output: true } }),
      200,
    ],
    ['malformed JSON', '/v2/models/breast-cancer/infer', '{', 400],
    [
      'a wrong shape',
      '/v2/models/breast-cancer/infer',
      { inputs: [{ name: 'input', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] },
      400,
    ],
    ['an unknown model', '/v2/models/nope/infer', breastCancerRequest(), 404],
    [
      'a prediction from records (no store: defaults)',
      '/v2/models/flights-delay/predict',
      { records: [FLIGHT], parameters: { return_features: true } },
      200,
    ],
    ['a bad record', '/v2/models/flights-delay/predict', { records: [{ ...FLIGHT, date: 'soon' }] }, 400],
    [
      'a prediction for a model without features.json',
      '/v2/models/breast-cancer/predict',
      { records: [FLIGHT] },
      404,
    ],
    ['the repository index', '/v2/repository/index', {}, 200],
    ['a model load', '/v2/repository/models/digits/load', {}, 200],
    ['an unknown model load', '/v2/repository/models/nope/load', {}, 404],
    ['a wrong rollout action', '/v2/models/breast-cancer/rollout', { action: 'explode' }, 400],
    ['a rollout action out of turn', '/v2/models/breast-cancer/rollout', { action: 'promote' }, 409],
    ['feedback of the wrong type', '/v2/models/breast-cancer/feedback', { id: 'x', reward: 'high' }, 400],
    ['feedback for an unknown id', '/v2/models/breast-cancer/feedback', { id: 'x', label: 1 }, 404],
  ])('POST %s', async (_what, path, body, status) => {
    expect(await check('POST', path, post(body))).toBe(status);
  });

  it('documents the binary tensor extension well enough to build a request from it', async () => {
    const op = doc.paths['/v2/models/{model}/infer'].post as unknown as {
      parameters: Array<{ name: string; in: string }>;
      requestBody: { content: Record<string, unknown> };
    };
    const lengthHeader = op.parameters.find((p) => p.in === 'header')?.name;
    expect(lengthHeader?.toLowerCase()).toBe('inference-header-content-length');
    const mediaType = Object.keys(op.requestBody.content).find((t) => t !== 'application/json');
    expect(mediaType).toBe('application/octet-stream');

    const features = Float32Array.from(breastCancerRequest().inputs[0].data);
    const header = InferenceRequestSchema.parse({
      inputs: [
        {
          name: 'input',
          shape: [1, 30],
          datatype: 'FP32',
          parameters: { binary_data_size: features.byteLength },
        },
      ],
    });
    const json = Buffer.from(JSON.stringify(header));
    const init = {
      body: Buffer.concat([json, Buffer.from(features.buffer)]),
      headers: { 'content-type': mediaType!, [lengthHeader!]: String(json.length) },
    };
    expect(await check('POST', '/v2/models/breast-cancer/infer', init)).toBe(200);
  });

  it('documents 405 for a wrong method on infer', async () => {
    expect(await check('POST', '/v2/models/breast-cancer/infer', { ...post('{}'), method: 'PUT' })).toBe(405);
  });

  it('has schemas strict enough to reject a wrong body', () => {
    const validate = ajv.getSchema('openapi#/components/schemas/ModelMetadata')!;
    expect(validate({ name: 'm', versions: ['1'], platform: 'p', inputs: [], outputs: [] })).toBe(true);
    expect(validate({ name: 'm', versions: [1], platform: 'p', inputs: [], outputs: [] })).toBe(false);
    expect(ajv.getSchema('openapi#/components/schemas/Error')!({ error: 'x', extra: 1 })).toBe(false);
  });

  it('covers the unhappy statuses too: 413, and 503 while a model cannot load', async () => {
    const repo = tempRepository(['breast-cancer-lite', 'fixture:corrupt']);
    const small = await startTestService({ MODEL_REPOSITORY: repo.dir, MAX_BODY_BYTES: '2048' });
    try {
      await small.loaded;
      const big = post(breastCancerRequest(20));
      expect(await check('POST', '/v2/models/breast-cancer-lite/infer', big, small.url)).toBe(413);
      expect(await check('GET', '/v2/health/ready', {}, small.url)).toBe(503);
      expect(await check('GET', '/v2/models/corrupt/ready', {}, small.url)).toBe(503);
      expect(await check('POST', '/v2/models/corrupt/infer', post(breastCancerRequest()), small.url)).toBe(
        503,
      );
      expect(await check('GET', '/v2/models/breast-cancer-lite', {}, small.url)).toBe(200);
    } finally {
      await small.stop(5000);
      repo.remove();
    }
  }, 60_000);
});
