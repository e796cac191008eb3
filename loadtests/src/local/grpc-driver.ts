import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { REPO_ROOT } from '@ml-platform/stack-config';
import type { ModelInferMessage } from '../grpc-payload';
import { parseModelMetadata, type ModelMetadata } from '../payload';
import type { Step } from './plan';
import { emptySamples, type StepSamples } from './results';

/** The gRPC API's proto, which build:k6 also ships next to the k6 script. */
export const INFERENCE_PROTO = path.join(REPO_ROOT, 'service', 'proto', 'inference.proto');

type Unary = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response?: Record<string, unknown>) => void,
) => void;

/** The runner's gRPC client: the calls it makes before the load, and the ModelInfer it drives. */
export class GrpcOipClient {
  private readonly client: grpc.Client & Record<string, Unary>;
  private readonly metadata = new grpc.Metadata();

  constructor(
    readonly target: string,
    apiKey?: string,
    private readonly timeoutMs = 10_000,
  ) {
    const definition = protoLoader.loadSync(INFERENCE_PROTO, {
      keepCase: true,
      longs: String,
      defaults: true,
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
    };
    this.client = new loaded.inference.GRPCInferenceService(
      target,
      grpc.credentials.createInsecure(),
    ) as never;
    if (apiKey) this.metadata.set('authorization', `Bearer ${apiKey}`);
  }

  call(method: string, request: unknown, timeoutMs = this.timeoutMs): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) =>
      this.client[method].call(
        this.client,
        request,
        this.metadata,
        { deadline: Date.now() + timeoutMs },
        (err, response) => (err ? reject(err) : resolve(response ?? {})),
      ),
    );
  }

  async assertReady(): Promise<void> {
    const { ready } = await this.call('ServerReady', {});
    if (!ready) throw new Error(`${this.target} is not ready: ServerReady answered false`);
  }

  async firstModel(): Promise<string> {
    const { models } = await this.call('RepositoryIndex', {});
    const name = (models as { name?: string }[] | undefined)?.find((m) => m.name)?.name;
    if (!name) throw new Error('the repository index lists no model: pass --model <name>');
    return name;
  }

  async modelMetadata(model: string): Promise<ModelMetadata> {
    const raw = await this.call('ModelMetadata', { name: model });
    const inputs = (raw.inputs as { shape: string[] }[]).map((i) => ({ ...i, shape: i.shape.map(Number) }));
    return parseModelMetadata({ ...raw, inputs });
  }

  close(): void {
    this.client.close();
  }
}

export interface GrpcDriveOptions {
  client: GrpcOipClient;
  /** A fresh request per call, so a prediction cache does not turn the test into cache hits. */
  request: () => ModelInferMessage;
  /** Calls in flight at most (k6's maxVUs); an arrival with none free is dropped, as in k6. */
  connections: number;
  timeoutSec: number;
}

const TICK_MS = 5;

/**
 * One constant-rate step of ModelInfer calls, paced evenly (k6's constant-arrival-rate) over one
 * HTTP/2 channel. A call that got a status other than OK is a failed response (http_req_failed's
 * counterpart); one that ran out its deadline never got an answer (a network error).
 */
export async function driveGrpcStep(step: Step, opts: GrpcDriveOptions): Promise<StepSamples> {
  const samples = emptySamples(step.rate, step.durationSec);
  const started = performance.now();
  const total = Math.round(step.rate * step.durationSec);
  let sent = 0;
  let inFlight = 0;
  const calls: Promise<void>[] = [];
  const one = async () => {
    inFlight++;
    const t0 = performance.now();
    try {
      const response = await opts.client.call('ModelInfer', opts.request(), opts.timeoutSec * 1000);
      samples.latenciesMs.push(performance.now() - t0);
      samples.checkPasses++;
      if (Array.isArray(response.outputs) && response.outputs.length > 0) samples.checkPasses++;
      else samples.checkFails++;
    } catch (err) {
      if ((err as grpc.ServiceError).code === grpc.status.DEADLINE_EXCEEDED) samples.networkErrors++;
      else {
        samples.latenciesMs.push(performance.now() - t0);
        samples.failedResponses++;
      }
      samples.checkFails += 2;
    } finally {
      inFlight--;
    }
  };
  while (performance.now() - started < step.durationSec * 1000 && sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * step.rate));
    for (; sent < due; sent++) if (inFlight < opts.connections) calls.push(one());
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await Promise.all(calls);
  samples.elapsedSec = (performance.now() - started) / 1000;
  return samples;
}
