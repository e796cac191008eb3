import { HEADERS } from '@ml-platform/contract/names';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import type { InferRequest, InferResult } from '../core/engine';
import type { Engine } from '../engine';
import type { ModelStatistics } from '../observability/model-statistics';
import { ServiceError, badRequest, clientClosedRequest } from '../core/errors';
import { EXTENSIONS } from '../http/api-app';
import type { ClusterOps } from '../http/cluster-ops';
import { createInferPipeline, runToPromise } from '../http/infer-handler';
import { createInferenceRecorder, type InferenceDeps } from '../pipeline/inference';
import type { Scope } from '../pipeline/phases';
import { runAdmit } from '../pipeline/run';
import type { RouteDecision } from '../traffic/router';
import { grpcCallContext, type GrpcCall } from './call-context';
import { healthService } from './health';
import { decodeModelInferRequest, encodeModelInferResponse } from './infer-codec';
import { modelConfigMessage } from './model-config-message';
import { loadProtos, withFastModelInfer, type ModelInferRequestMessage } from './proto';
import { toGrpcError } from './status';

export interface GrpcServerDeps extends InferenceDeps {
  engine: InferenceDeps['engine'] & Pick<Engine, 'modelConfig'>;
  /** MAX_BODY_BYTES: the largest request message accepted (RESOURCE_EXHAUSTED above it). */
  maxMessageBytes: number;
  server: { name: string; version: string };
  ops: ClusterOps;
  /** Per-version counts and durations since start, REST and gRPC alike (ModelStatistics). */
  statistics: Pick<ModelStatistics, 'report'>;
  /** The REST server's readiness (engine ready, not draining): ServerReady and health follow it. */
  isReady(): boolean;
}

export interface GrpcInferenceServer {
  listen(port: number, host: string): Promise<number>;
  /**
   * Refuses new calls at once and resolves when every accepted call was answered: true when that
   * happened within `timeoutMs`, false when the remaining calls had to be cut.
   */
  drain(timeoutMs: number): Promise<boolean>;
}

type NamedRequest = { name?: string; version?: string; model_name?: string; ready?: boolean };

/**
 * The Open Inference Protocol's gRPC front door (proto/inference.proto), next to REST on its own
 * port: same admission, cache, breaker, routing, batching and observation (pipeline/inference.ts),
 * plus grpc.health.v1 and server reflection so that grpcurl works without the proto.
 */
export function createGrpcServer(deps: GrpcServerDeps): GrpcInferenceServer {
  const { engine, pipeline, tracing, ops } = deps;
  const execute = createInferPipeline(deps);
  const record = createInferenceRecorder(deps);
  const definition = loadProtos();
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  const server = new grpc.Server({
    'grpc.max_receive_message_length': deps.maxMessageBytes,
    // Keeps an idle client's connection open across gaps in traffic without letting it ping-flood.
    'grpc.keepalive_permit_without_calls': 1,
    // Channelz's per-call and per-session counters feed a channelz service this server does not offer.
    'grpc.enable_channelz': 0,
  });
  const health = healthService(deps.isReady);

  /** A non-inference RPC: the admit phase (auth, rate limit) for its scope, then the handler. */
  const guarded =
    <Req extends NamedRequest>(scope: Scope | undefined, handler: (req: Req, call: GrpcCall) => unknown) =>
    (call: grpc.ServerUnaryCall<Req, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const model = call.request.name || call.request.model_name || undefined;
      const ctx = grpcCallContext(call, scope ?? 'read', model, call.request.version || undefined);
      (async () => {
        if (scope) await runAdmit(pipeline.admit, ctx);
        return handler(call.request, ctx);
      })().then(
        (res) => callback(null, res, ctx.trailers),
        (err) => callback(toGrpcError(err, ctx.trailers).error),
      );
    };

  const modelInfer = async (
    call: grpc.ServerUnaryCall<ModelInferRequestMessage, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ) => {
    const started = performance.now();
    const msg = call.request;
    const model = msg.model_name ?? '';
    const version = msg.model_version || undefined;
    const ctx = grpcCallContext(call, 'infer', model, version);
    const span = tracing.startSpan('inference.GRPCInferenceService/ModelInfer', ctx.headers, {
      'rpc.system': 'grpc',
      'inference.model': model,
    });
    let status = 500;
    let request: InferRequest | undefined;
    let result: InferResult | undefined;
    let failure: unknown;
    let decision: RouteDecision | undefined;
    try {
      if (model === '') throw badRequest('model_name must be a non-empty string');
      const admitted = runAdmit(pipeline.admit, ctx);
      if (admitted) await admitted;
      const decoded = decodeModelInferRequest(msg);
      const deadline = call.getDeadline();
      const budgetMs = deadline === Infinity ? Infinity : new Date(deadline).getTime() - Date.now();
      const prepared = execute(ctx, version, decoded, budgetMs);
      request = prepared.request;
      decision = prepared.decision;
      const answered = await runToPromise(prepared);
      result = answered;
      callback(
        null,
        encodeModelInferResponse(decoded, answered, (output) =>
          engine.outputClasses(answered.modelName, output),
        ),
        ctx.trailers,
      );
      status = 200;
    } catch (err) {
      failure = err;
      const answer = toGrpcError(err, ctx.trailers);
      status = answer.status;
      callback(answer.error);
    }
    ctx.finish();
    // A caller that gave up (its deadline passed, or it cancelled) got nothing: 499, as REST counts it.
    if (call.cancelled) {
      status = 499;
      // An answer computed after the caller left is a 499 too, and the record needs its reason.
      failure ??= clientClosedRequest('the caller cancelled or its deadline passed before the answer');
    }
    record({
      protocol: 'grpc',
      model,
      version,
      requestId: ctx.requestId,
      headers: ctx.headers,
      span,
      started,
      status,
      failure,
      request,
      result,
      route: decision,
      servedBy: ctx.trailers.get(HEADERS.servedBy)[0]?.toString(),
      seconds: 0,
    });
  };

  server.addService(withFastModelInfer(definition), {
    ServerLive: guarded<NamedRequest>(undefined, () => ({ live: true })),
    ServerReady: guarded<NamedRequest>(undefined, () => ({ ready: deps.isReady() })),
    ServerMetadata: guarded<NamedRequest>('read', () => ({
      name: deps.server.name,
      version: deps.server.version,
      extensions: EXTENSIONS,
    })),
    ModelMetadata: guarded<{ name?: string; version?: string }>('read', (req) =>
      engine.metadata(req.name ?? '', req.version || undefined),
    ),
    // NOT_FOUND for an unknown model or version, UNAVAILABLE when none is ready, as ModelMetadata.
    ModelConfig: guarded<{ name?: string; version?: string }>('read', (req) => {
      const name = req.name ?? '';
      const metadata = engine.metadata(name, req.version || undefined);
      return { config: modelConfigMessage(engine.modelConfig(name), metadata) };
    }),
    // Every ready version of the model named, or of every model when none is; NOT_FOUND as ModelMetadata.
    ModelStatistics: guarded<{ name?: string; version?: string }>('read', (req) => {
      const version = req.version || undefined;
      if (req.name) engine.metadata(req.name, version);
      const versions = engine
        .index()
        .filter((e) => e.state === 'READY' && (!req.name || e.name === req.name))
        .filter((e) => version === undefined || e.version === version)
        .map((e) => ({ name: e.name, version: e.version ?? '' }));
      return { model_stats: deps.statistics.report(versions) };
    }),
    ModelReady: guarded<{ name?: string; version?: string }>('read', (req) => {
      const version = req.version || undefined;
      try {
        engine.metadata(req.name ?? '', version); // NOT_FOUND for an unknown model or version
      } catch (err) {
        // A known model that is not loaded is simply not ready, as Triton answers it.
        if (err instanceof ServiceError && err.status === 503) return { ready: false };
        throw err;
      }
      return { ready: engine.modelReady(req.name ?? '', version) };
    }),
    ModelInfer: ((call, callback) => void modelInfer(call, callback)) as grpc.handleUnaryCall<
      ModelInferRequestMessage,
      unknown
    >,
    RepositoryIndex: guarded<{ ready?: boolean }>('admin', (req) => ({
      models: engine
        .index()
        .filter((e) => !req.ready || e.state === 'READY')
        .map((e) => ({ name: e.name, version: e.version ?? '', state: e.state, reason: e.reason })),
    })),
    RepositoryModelLoad: guarded<{ model_name?: string }>('admin', async (req) => {
      await ops.load(req.model_name ?? '');
      return {};
    }),
    RepositoryModelUnload: guarded<{ model_name?: string }>('admin', async (req) => {
      await ops.unload(req.model_name ?? '');
      return {};
    }),
  } as grpc.UntypedServiceImplementation);
  server.addService(loaded.grpc.health.v1.Health.service, health.implementation);
  new ReflectionService(definition).addToServer(server);

  return {
    listen(port, host) {
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise((resolve, reject) =>
        server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) =>
          err ? reject(err) : resolve(bound),
        ),
      );
    },
    drain(timeoutMs) {
      health.close();
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve(false);
        }, timeoutMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
  };
}
