import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { workerClusterOps } from './cluster/worker';
import { GRPC_EPHEMERAL, type ServiceConfig } from './config/env';
import { listenFor } from './config/listen-error';
import { createCostMeter } from './cost/cost-meter';
import { VersionScores } from './drift/version-scores';
import { createEngine, defaultPoolThreads, type Engine } from './engine';
import { createFeatureServing } from './features/create';
import type { GuardContext, ProductionGuards } from './guards';
import { createGrpcServer } from './grpc/server';
import { SERVER_TIMEOUTS, createInferenceServer, type InferenceServer } from './http/server';
import { metricsObserver } from './observability/engine-observer';
import { ModelStatistics } from './observability/model-statistics';
import { createLogger } from './observability/logger';
import { ServiceMetrics, createRegistry } from './observability/metrics';
import { createTracing, type Tracing } from './observability/tracing';
import { composePipeline } from './request-pipeline';
import { ExperimentService } from './experiment/experiment-service';
import { RolloutService } from './rollout/rollout-service';
import { ShadowAgreement } from './traffic/shadow-agreement';
import { TrafficRouter } from './traffic/traffic-router';
import pkg from '../package.json';

export const SERVER_INFO = { name: 'ml-platform-inference', version: pkg.version };

export interface RunningService {
  engine: Engine;
  http: InferenceServer;
  metrics: ServiceMetrics;
  logger: Logger;
  tracing: Tracing;
  address: AddressInfo;
  /** The gRPC port bound (any free one for GRPC_PORT=ephemeral), or undefined when GRPC_PORT is 0. */
  grpcPort?: number;
  /** Resolves when every model's start-up load has settled. */
  loaded: Promise<void>;
  /** Drains (see InferenceServer.drain) and flushes traces; true when the drain was clean. */
  stop(timeoutMs?: number): Promise<boolean>;
}

export interface ServiceOptions {
  logger?: Logger;
  /** Running as a node:cluster worker: metrics and repository operations span every worker. */
  clusterWorker?: boolean;
  /** Server timeouts against slow clients; SERVER_TIMEOUTS unless a test needs them short. */
  timeouts?: Partial<typeof SERVER_TIMEOUTS>;
  /**
   * Production guards (createProductionGuards): shedding, auth and rate limit, fallback, cache and
   * breaker; request-pipeline.ts puts them in their phases. `close` releases what they hold
   * (Redis) after the drain.
   */
  guards?: (ctx: GuardContext) => ProductionGuards;
}

/**
 * Composes the service: metrics registry, logger, tracing, engine, guards, HTTP server. Listens at
 * once (liveness answers while models load); readiness follows the engine.
 */
export async function startService(
  config: ServiceConfig,
  options: ServiceOptions = {},
): Promise<RunningService> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const metrics = new ServiceMetrics(createRegistry());
  const tracing = createTracing({
    endpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? config.OTEL_EXPORTER_OTLP_ENDPOINT,
    serviceName: config.OTEL_SERVICE_NAME,
    disabled: config.OTEL_SDK_DISABLED === 'true',
  });
  const cost = createCostMeter({
    registry: metrics.registry,
    // Every worker process meters its own share; the cluster primary sums them back to the pod's.
    usdPerHour: config.POD_COST_PER_HOUR_USD / config.WORKERS,
    now: () => performance.now(),
  });
  const statistics = new ModelStatistics();
  const engine = createEngine({
    repositoryPath: config.MODEL_REPOSITORY,
    logger: logger.child({ component: 'engine' }),
    observer: metricsObserver(metrics, cost, statistics),
    threads: config.ORT_THREADS ?? defaultPoolThreads(config.WORKERS),
  });
  const production = options.guards?.({ engine, metrics, logger, config });
  // Written by the request path, read by the rollout controller's optional checks.
  const driftScores = new VersionScores();
  const confidenceShifts = new VersionScores();
  const shadowAgreement = new ShadowAgreement(metrics.registry);
  const rollouts = new RolloutService({
    engine,
    registry: metrics.registry,
    logger: logger.child({ component: 'rollout' }),
    redis: production?.redis,
    signals: { driftScores, confidenceShifts, shadowAgreement },
  });
  rollouts.start();
  const experiments = new ExperimentService({ engine, redis: production?.redis });
  const features = createFeatureServing({ config, engine, metrics, logger });
  const shared = {
    engine,
    router: new TrafficRouter({
      modelConfig: (model: string) => engine.modelConfig(model),
      rollout: (model: string) => rollouts.route(model),
    }),
    pipeline: composePipeline({
      engine,
      metrics,
      logger,
      config,
      guards: production,
      cost,
      rollouts,
      experiments,
      statistics,
      driftScores,
      confidenceShifts,
    }),
    shadowAgreement,
    rollouts,
    experiments,
    metrics,
    tracing,
    logger,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    server: SERVER_INFO,
    ops: options.clusterWorker ? workerClusterOps(metrics.registry, engine) : undefined,
  };
  const http = createInferenceServer({
    ...shared,
    maxBodyBytes: config.MAX_BODY_BYTES,
    timeouts: options.timeouts,
    features: features.serving,
  });
  const grpc =
    config.GRPC_PORT === 0
      ? undefined
      : createGrpcServer({
          ...shared,
          ops: http.ops,
          statistics,
          maxMessageBytes: config.MAX_BODY_BYTES,
          isReady: http.isReady,
          logger: logger.child({ component: 'grpc' }),
        });
  // The cluster primary hands connections to any listening worker, ready or not: a worker that
  // listened while loading would answer 503 next to ready siblings. Alone, listening at once lets
  // liveness answer during the load.
  if (options.clusterWorker) await engine.loaded;
  const stop = async (timeoutMs = config.SHUTDOWN_TIMEOUT_MS) => {
    // Both doors stop taking calls at once; the engine closes once both answered what they took.
    const clean = await http.drain(timeoutMs, grpc?.drain(timeoutMs));
    await rollouts.close();
    await production?.close();
    await features.close();
    await tracing.shutdown();
    return clean;
  };
  let address: AddressInfo;
  let grpcPort: number | undefined;
  try {
    address = await listenFor('PORT', config.PORT, config.HOST, http.listen(config.PORT, config.HOST));
    grpcPort =
      grpc &&
      (await listenFor(
        'GRPC_PORT',
        config.GRPC_PORT,
        config.HOST,
        grpc.listen(config.GRPC_PORT === GRPC_EPHEMERAL ? 0 : config.GRPC_PORT, config.HOST),
      ));
  } catch (err) {
    // Sessions still being created on onnxruntime's threads abort the process if it exits under
    // them; release everything so that the caller can exit (or go on) cleanly.
    await stop();
    throw err;
  }
  return {
    engine,
    http,
    metrics,
    logger,
    tracing,
    address,
    grpcPort,
    loaded: engine.loaded,
    stop,
  };
}
