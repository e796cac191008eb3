import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { clientClosedRequest } from '../src/core/errors';
import { createEngine, type Engine } from '../src/engine';
import { createRegistry, ServiceMetrics } from '../src/observability/metrics';
import { createTracing } from '../src/observability/tracing';
import { createInferenceRecorder, type InferenceOutcome } from '../src/pipeline/inference';
import type { Observation } from '../src/pipeline/phases';
import { BUNDLED, TempRepo } from './engine-support/repo';

/** The record step both doors end with: a 4xx log line and a counted status, whatever the door recorded. */
describe('inference recorder', () => {
  let repo: TempRepo;
  let engine: Engine;
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  let record: (o: InferenceOutcome) => void;
  let metrics: ServiceMetrics;
  const observed: Observation[] = [];

  beforeAll(async () => {
    repo = new TempRepo({ 'breast-cancer': { from: join(BUNDLED, 'breast-cancer') } });
    engine = createEngine({ repositoryPath: repo.path });
    await engine.loaded;
    metrics = new ServiceMetrics(createRegistry());
    record = createInferenceRecorder({
      engine,
      metrics,
      tracing: createTracing({ serviceName: 'test', disabled: true }),
      logger: pino({ level: 'info' }, sink),
      pipeline: { observe: [(o) => observed.push(o)] },
    });
  });
  afterAll(async () => {
    await engine.close();
    repo.remove();
  });
  beforeEach(() => {
    lines.splice(0);
    observed.splice(0);
  });

  const outcome = (status: number, failure?: unknown): InferenceOutcome => ({
    protocol: 'grpc',
    model: 'breast-cancer',
    requestId: 'r-1',
    headers: {},
    span: undefined,
    started: performance.now(),
    status,
    failure,
    seconds: 0,
  });

  async function counted(status: string): Promise<number> {
    const { values } = await metrics.requests.get();
    return values.find((v) => v.labels.status === status && v.labels.protocol === 'grpc')?.value ?? 0;
  }

  it('logs a 499 that carries no failure instead of throwing (a call cancelled after its answer)', async () => {
    expect(() => record(outcome(499))).not.toThrow();
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'inference rejected', status: 499, error: 'no reason recorded' }),
    ]);
    expect(await counted('499')).toBe(1);
  });

  it('logs the reason of a 4xx failure', () => {
    record(outcome(499, clientClosedRequest('the caller went away')));
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'inference rejected',
        error: 'the caller went away',
        model: 'breast-cancer',
      }),
    ]);
  });

  it('hands the observe hooks the outcome with its duration, in the check phase after the record', async () => {
    const checkPhase = () => new Promise((resolve) => setImmediate(resolve));
    // The earlier tests' observations reach the hook in a check phase of their own.
    await checkPhase();
    observed.splice(0);
    record({ ...outcome(404), started: performance.now() - 25 });
    expect(observed).toEqual([]);
    await checkPhase();
    expect(observed).toHaveLength(1);
    expect(observed[0]).toMatchObject({ model: 'breast-cancer', requestId: 'r-1', status: 404 });
    expect(observed[0].seconds).toBeGreaterThanOrEqual(0.025);
    expect(observed[0].seconds).toBeLessThan(10);
  });
});
