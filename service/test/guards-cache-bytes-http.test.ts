import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createProductionGuards } from '../src/guards';
import { findSample, parseExposition } from '../../test/support/load';
import { describeWithRedis, RedisServer } from '../../test/support/redis-server';
import {
  BUNDLED_MODELS,
  patchConfig,
  startTestService,
  tempRepository,
  type TestService,
} from './http-support';

/**
 * A memory-tier hit answers a plain JSON request from the entry's stored outputs text
 * (guards/cached-result.ts). These compare, byte for byte, what a hit answers with what the same
 * request answers when it is computed (`"cache": false`, whose parameters are not echoed), for
 * every form a request can take, on the real service and the real breast-cancer model.
 */
const MODEL = 'breast-cancer';
const PATH = `/v2/models/${MODEL}/versions/1/infer`;

interface Answer {
  status: number;
  cache: string | null;
  requestId: string | null;
  contentType: string | null;
  headerLength: string | null;
  body: Buffer;
}

/** The repository's breast-cancer with its cache, drift and quality, without canary or fallback. */
function cachedRepository() {
  const repo = tempRepository([MODEL]);
  patchConfig(repo.dir, MODEL, { traffic: undefined, fallback: undefined });
  return repo;
}

const startCached = (env: Record<string, string>) =>
  startTestService(env, { guards: createProductionGuards }).then(async (svc) => {
    await svc.loaded;
    return svc;
  });

async function post(svc: TestService, body: Record<string, unknown>, requestId?: string): Promise<Answer> {
  const res = await fetch(`${svc.url}${PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(requestId ? { 'x-request-id': requestId } : {}) },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    cache: res.headers.get('x-cache'),
    requestId: res.headers.get('x-request-id'),
    contentType: res.headers.get('content-type'),
    headerLength: res.headers.get('inference-header-content-length'),
    body: Buffer.from(await res.arrayBuffer()),
  };
}

/** The held-out rows the model's tests use: their answers differ from row to row. */
const HELD_OUT = (
  JSON.parse(readFileSync(path.join(BUNDLED_MODELS, MODEL, 'testdata', 'test.json'), 'utf8')) as {
    inputs: number[][];
  }
).inputs;
/** A request for held-out row `row`, which no other test sends: its first answer is a miss. */
const rows = (row: number, extra: Record<string, unknown> = {}) => ({
  inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', data: HELD_OUT[row] }],
  ...extra,
});
const uncached = (req: ReturnType<typeof rows>) => ({
  ...req,
  parameters: { ...(req as { parameters?: object }).parameters, cache: false },
});
/** What an answer looks like apart from the per-request fields, which the tests check one by one. */
const shape = (a: Answer) => ({ status: a.status, contentType: a.contentType, headerLength: a.headerLength });

describe('memory-tier hits answer the bytes a computed answer has (real service)', () => {
  let svc: TestService;
  let repo: ReturnType<typeof tempRepository>;

  beforeAll(async () => {
    repo = cachedRepository();
    svc = await startCached({ MODEL_REPOSITORY: repo.dir });
  }, 60_000);
  afterAll(async () => {
    await svc?.stop(5000);
    repo?.remove();
  });

  it('answers a hit with the miss body, only the id differing, and echoes each request id header', async () => {
    const miss = await post(svc, rows(0, { id: 'first' }), 'rid-1');
    expect(miss.cache).toBe('miss');
    const again = await post(svc, rows(0, { id: 'first' }), 'rid-2');
    expect(again.cache).toBe('hit-memory');
    expect(again.body.equals(miss.body)).toBe(true);
    expect([miss.requestId, again.requestId]).toEqual(['rid-1', 'rid-2']);

    const other = await post(svc, rows(0, { id: 'second-ü' }), 'rid-3');
    expect(other.cache).toBe('hit-memory');
    expect(other.requestId).toBe('rid-3');
    expect(other.body.toString()).toBe(miss.body.toString().replace('"id":"first"', '"id":"second-ü"'));
    expect(Number(other.body.length)).toBe(Buffer.byteLength(other.body.toString()));

    const noId = await post(svc, rows(0));
    expect(noId.cache).toBe('hit-memory');
    expect(noId.body.toString()).toBe(miss.body.toString().replace(',"id":"first"', ''));
    expect(noId.requestId).toMatch(/./);
  });

  it.each([
    ['plain JSON', 1, {}],
    ['an id', 2, { id: 'abc' }],
    ['binary data for every output', 3, { id: 'b', parameters: { binary_data_output: true } }],
    ['one output', 4, { outputs: [{ name: 'probabilities' }] }],
    [
      'the outputs in the other order',
      5,
      { id: 'o', outputs: [{ name: 'probabilities' }, { name: 'label' }] },
    ],
    [
      'one output in binary, one in JSON',
      6,
      { outputs: [{ name: 'probabilities', parameters: { binary_data: true } }, { name: 'label' }] },
    ],
    [
      'an output as its top class',
      7,
      { outputs: [{ name: 'probabilities', parameters: { classification: 1 } }] },
    ],
  ])('answers a hit asking for %s with the bytes of the computed answer', async (_name, row, form) => {
    await post(svc, rows(row));
    const hit = await post(svc, rows(row, form));
    expect(hit.cache).toBe('hit-memory');
    const computed = await post(svc, uncached(rows(row, form)));
    expect(computed.cache).toBe('bypass');
    expect(shape(hit)).toEqual(shape(computed));
    expect(hit.body.equals(computed.body)).toBe(true);
  });

  it('never answers a request with the bytes of another request', async () => {
    await post(svc, rows(10, { id: 'a' }));
    await post(svc, rows(11, { id: 'a' }));
    const [a, b] = [await post(svc, rows(10, { id: 'a' })), await post(svc, rows(11, { id: 'a' }))];
    expect([a.cache, b.cache]).toEqual(['hit-memory', 'hit-memory']);
    expect(a.body.equals(b.body)).toBe(false);
    expect(b.body.equals((await post(svc, uncached(rows(11, { id: 'a' })))).body)).toBe(true);

    // A hit asking for one output, then one asking for all: neither gets the other's bytes.
    const subset = await post(svc, rows(10, { id: 'a', outputs: [{ name: 'label' }] }));
    const all = await post(svc, rows(10, { id: 'a' }));
    expect(JSON.parse(subset.body.toString()).outputs.map((o: { name: string }) => o.name)).toEqual([
      'label',
    ]);
    expect(all.body.equals(a.body)).toBe(true);
    // Nor does binary data leak into a JSON request, or the other way round.
    const binary = await post(svc, rows(10, { id: 'a', parameters: { binary_data_output: true } }));
    expect(binary.contentType).toBe('application/octet-stream');
    expect((await post(svc, rows(10, { id: 'a' }))).body.equals(a.body)).toBe(true);
  });

  it('counts every hit and feeds every hit to the quality observer', async () => {
    const scrape = async () => parseExposition(await (await fetch(`${svc.url}/metrics`)).text());
    const counts = async () => {
      const samples = await scrape();
      const hits = findSample(samples, 'prediction_cache_hits_total', {
        model: MODEL,
        version: '1',
        tier: 'memory',
      });
      const classes = samples
        .filter((s) => s.name === 'model_predicted_class_total' && s.labels.model === MODEL)
        .reduce((sum, s) => sum + s.value, 0);
      return { hits: hits ?? 0, classes };
    };
    await post(svc, rows(20));
    const before = await counts();
    for (let i = 0; i < 5; i++) expect((await post(svc, rows(20, { id: `q${i}` }))).cache).toBe('hit-memory');
    // The observers run after the answer is written.
    await new Promise((r) => setImmediate(r));
    const after = await counts();
    expect(after.hits - before.hits).toBe(5);
    expect(after.classes - before.classes).toBe(5);
  });
});

describeWithRedis('a Redis hit files the answer text in the memory tier (real service, real Redis)', () => {
  let redis: RedisServer;
  let writer: TestService;
  let reader: TestService;
  let repo: ReturnType<typeof tempRepository>;

  beforeAll(async () => {
    redis = await RedisServer.start();
    repo = cachedRepository();
    const env = { MODEL_REPOSITORY: repo.dir, REDIS_URL: redis.url };
    [writer, reader] = [await startCached(env), await startCached(env)];
  }, 60_000);
  afterAll(async () => {
    await writer?.stop(5000);
    await reader?.stop(5000);
    await redis?.stop();
    repo?.remove();
  });

  it('answers from Redis, then from memory, with the computed bytes', async () => {
    const miss = await post(writer, rows(30, { id: 'w' }));
    expect(miss.cache).toBe('miss');
    // The writer's Redis write is not awaited by its answer.
    const deadline = Date.now() + 5000;
    let fromRedis = await post(reader, rows(30, { id: 'r' }));
    while (fromRedis.cache !== 'hit-redis' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      fromRedis = await post(reader, rows(30, { id: 'r', parameters: {} }));
    }
    expect(fromRedis.cache).toBe('hit-redis');
    const fromMemory = await post(reader, rows(30, { id: 'r' }));
    expect(fromMemory.cache).toBe('hit-memory');
    const expected = miss.body.toString().replace('"id":"w"', '"id":"r"');
    expect(fromRedis.body.toString()).toBe(expected);
    expect(fromMemory.body.toString()).toBe(expected);
  });
});
