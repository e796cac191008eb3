import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Engine } from '../engine';
import type { ServiceMetrics } from '../observability/metrics';
import type { Tracing } from '../observability/tracing';
import { createApiApp, type ApiDeps } from './api-app';
import { answerClientError } from './client-error';
import type { ClusterOps } from './cluster-ops';
import type { RequestPipeline } from '../pipeline/phases';
import type { ShadowAgreement } from '../traffic/shadow-agreement';
import type { TrafficRouter } from '../traffic/traffic-router';
import { createInferHandler, createInferPipeline, matchInferRoute } from './infer-handler';
import { createPredictHandler, matchPredictRoute } from '../features/predict-handler';
import type { FeatureServing } from '../features/serving';

export interface ServerDeps {
  engine: Engine;
  /** Traffic routing for unversioned infer URLs (canary, A/B, shadow). */
  router: Pick<TrafficRouter, 'decide'>;
  /** The request phases (request-pipeline.ts). */
  pipeline: RequestPipeline;
  metrics: ServiceMetrics;
  tracing: Tracing;
  logger: Logger;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  /** Shared with the gRPC door and read by the rollout controller. */
  shadowAgreement: ShadowAgreement;
  server: { name: string; version: string };
  /** Defaults to this process's registry and engine. */
  ops?: ClusterOps;
  /** The rollout API (GET/POST /v2/models/{m}/rollout); absent: no such routes. */
  rollouts?: ApiDeps['rollouts'];
  /** POST /v2/models/{m}/feedback and GET /v2/models/{m}/experiment; absent: no such routes. */
  experiments?: ApiDeps['experiments'];
  /** Defaults to SERVER_TIMEOUTS. */
  timeouts?: Partial<typeof SERVER_TIMEOUTS>;
  /** Serves POST /v2/models/{m}/predict for models with a features.json. */
  features?: FeatureServing;
}

export interface InferenceServer {
  readonly server: http.Server;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Engine ready and not draining: what /v2/health/ready answers. */
  isReady(): boolean;
  /** Metrics text and repository operations, for this process or the whole cluster. */
  readonly ops: ClusterOps;
  /**
   * Graceful stop: readiness false at once, no new connections, every accepted request answered
   * (queued ones included), then the engine closes. Resolves true when that finished within
   * `timeoutMs`; false when it had to cut connections. `otherDoor` is another front door's drain
   * (gRPC): the engine closes only once it settled too, and its false makes the drain unclean.
   */
  drain(timeoutMs: number, otherDoor?: Promise<boolean>): Promise<boolean>;
}

/**
 * Against slow clients: bounded time to send the headers and the whole request, and for an idle
 * keep-alive connection. Node checks the first two only every `connectionsCheckingInterval`
 * (30 s by default), so that is tightened too.
 */
export const SERVER_TIMEOUTS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 65_000,
  connectionsCheckingInterval: 1_000,
};

/**
 * One http.Server, two handlers. Inference goes straight to a raw node:http handler: on this 2-core
 * machine a minimal Express route reaches about a quarter of a node:http one, and inference is the
 * only path where that matters. Everything else falls through to Express.
 */
export function createInferenceServer(deps: ServerDeps): InferenceServer {
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const isReady = () => !draining && deps.engine.isReady();
  const notReadyReason = () =>
    draining
      ? 'the server is shutting down'
      : deps.engine.notReadyReasons().join('; ') || 'models are loading';

  const infer = createInferHandler(deps);
  const predict =
    deps.features &&
    createPredictHandler({ ...deps, features: deps.features, inference: createInferPipeline(deps) });
  const ops: ClusterOps = deps.ops ?? {
    metricsText: () => deps.metrics.registry.metrics(),
    load: (model, configJson) => deps.engine.load(model, configJson),
    unload: (model) => deps.engine.unload(model),
  };
  const api = createApiApp({
    ...deps,
    admit: deps.pipeline.admit,
    ops,
    contentType: deps.metrics.registry.contentType,
    isReady,
    notReadyReason,
  });

  const done = () => {
    inFlight--;
    if (inFlight === 0 && idle) idle();
  };

  const timeouts = { ...SERVER_TIMEOUTS, ...deps.timeouts };
  const server = http.createServer(timeouts, (req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    // `on`, not `once`: a response emits 'close' once (Node guards it with its _closed flag), and
    // once's wrapper cost a bound function and a state object per request.
    res.on('close', done);
    // While draining, answer what arrives on open connections but send clients elsewhere next time.
    if (draining) res.setHeader('connection', 'close');
    const route = matchInferRoute(req.url);
    const predictRoute = route || !predict ? undefined : matchPredictRoute(req.url);
    if (route) void infer(req, res, route);
    else if (predictRoute) void predict!(req, res, predictRoute.model);
    else api(req, res);
  });
  server.on('clientError', answerClientError);
  // Also set on the instance, where every Node release reads it.
  server.keepAliveTimeout = timeouts.keepAliveTimeout;

  return {
    server,
    isReady,
    ops,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    async drain(timeoutMs, otherDoor = Promise.resolve(true)) {
      draining = true;
      // onnxruntime runs on this event loop, so connections the kernel has completed may not have
      // been accepted yet. Two check phases bracket one poll phase, which accepts them; then stop
      // listening. http.Server#close would also drop "idle" sockets, which includes those
      // whose request has not been parsed yet, so only the listener is closed here; sockets close
      // after their response (Connection: close) or once everything is answered.
      for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
      const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
      const answeredHere =
        inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
      let otherClean = true;
      const answered = Promise.all([answeredHere, otherDoor.then((clean) => (otherClean = clean))]);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      const finished = await Promise.race([
        answered.then(async () => {
          await deps.engine.close();
          server.closeIdleConnections();
          await closed;
          return true;
        }),
        timeout,
      ]);
      clearTimeout(timer);
      if (!finished) server.closeAllConnections();
      return finished && otherClean;
    },
  };
}
