import { HEADERS } from '@ml-platform/contract/names';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { consoleRoutes } from '../console/routes';
import type { ExperimentService } from '../experiment/experiment-service';
import type { RolloutService } from '../rollout/rollout-service';
import type { Engine } from '../engine';
import type { ServiceMetrics } from '../observability/metrics';
import { ServiceError, badRequest, unavailable } from '../core/errors';
import { openApiDocument } from '@ml-platform/contract/openapi';
import type { AdmitHook, Scope } from '../pipeline/phases';
import { runAdmit } from '../pipeline/run';
import { isObject } from '../protocol/infer-request';
import { requestIdOf } from './request-id';
import { sendError, statusOf } from './respond';
import type { ClusterOps } from './cluster-ops';

export interface ApiDeps {
  engine: Engine;
  metrics: ServiceMetrics;
  /** The admit phase's hooks, run before every guarded handler. */
  admit: readonly AdmitHook[];
  ops: ClusterOps;
  /** Prometheus exposition content type. */
  contentType: string;
  logger: Logger;
  server: { name: string; version: string };
  /** Engine ready and not draining. */
  isReady(): boolean;
  /** GET/POST /v2/models/{m}/rollout (admin scope); see rollout/rollout-service.ts. */
  rollouts?: Pick<RolloutService, 'status' | 'act' | 'route'>;
  /** A/B outcomes (experiment/experiment-service.ts): feedback is inference-scoped, the report read-scoped. */
  experiments?: Pick<ExperimentService, 'feedback' | 'report'>;
  /** What keeps the server from being ready: failed models with their reasons, loading, draining. */
  notReadyReason(): string;
}

/** Extensions of the Open Inference Protocol this server implements, as GET /v2 reports them. */
export const EXTENSIONS = ['binary_tensor_data', 'classification', 'model_repository'];

type Handler = (req: Request, res: Response) => unknown;

/**
 * The load request's body: `{}` or `{"parameters": {"config": "<config.json as a string>"}}`, as
 * Triton's repository extension has it. Returns the config text, if any; anything else is a 400.
 */
function loadConfigOverride(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  if (!isObject(body))
    throw badRequest('request body must be a JSON object, e.g. {"parameters": {"config": "{...}"}}');
  if (body.parameters === undefined) return undefined;
  if (!isObject(body.parameters)) throw badRequest('parameters must be an object');
  for (const key of Object.keys(body.parameters)) {
    if (key !== 'config') {
      throw badRequest(`parameters.${key} is not supported: a load takes only parameters.config`);
    }
  }
  const config = body.parameters.config;
  if (config !== undefined && typeof config !== 'string') {
    throw badRequest('parameters.config must be a string holding the model configuration as JSON');
  }
  return config;
}

/**
 * Everything except inference: health, metadata, repository, metrics, OpenAPI. Express is fine
 * here (these are not hot); inference is served by the node:http fast path in infer-handler.ts.
 */
export function createApiApp(deps: ApiDeps): express.Express {
  const { engine, admit } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const document = openApiDocument(deps.server.version);

  app.use((req, res, next) => {
    const id = requestIdOf(req);
    res.locals.requestId = id;
    res.setHeader(HEADERS.requestId, id);
    next();
  });

  const guarded =
    (scope: Scope, handler: Handler): Handler =>
    async (req, res) => {
      const model = typeof req.params.model === 'string' ? req.params.model : undefined;
      const version = typeof req.params.version === 'string' ? req.params.version : undefined;
      await runAdmit(admit, {
        requestId: res.locals.requestId as string,
        scope,
        headers: req.headers,
        model,
        version,
        setHeader: (name, value) => res.setHeader(name, value),
      });
      await handler(req, res);
    };

  /** One path, its methods; any other method is a 405 with Allow. */
  const route = (path: string, methods: Partial<Record<'get' | 'post', Handler>>) => {
    const r = app.route(path);
    for (const [method, handler] of Object.entries(methods)) r[method as 'get' | 'post'](handler);
    const allow = Object.keys(methods).map((m) => m.toUpperCase());
    r.all((req, res) => {
      res.setHeader('allow', allow.join(', '));
      sendError(
        res,
        new ServiceError(405, `${req.method} is not allowed on ${req.path}; use ${allow.join(' or ')}`),
      );
    });
  };

  const param = (req: Request, name: string) => req.params[name] as string;
  // Not strict: a body that is valid JSON but not an object gets our message, not the parser's.
  const jsonBody = express.json({ limit: '64kb', strict: false });
  const parseJsonBody = (req: Request, res: Response) =>
    new Promise<void>((resolve, reject) =>
      jsonBody(req, res, (err?: unknown) => (err ? reject(err) : resolve())),
    );

  route('/v2/health/live', { get: (_req, res) => res.json({ live: true }) });
  route('/v2/health/ready', {
    get: (_req, res) => {
      if (deps.isReady()) res.json({ ready: true });
      else sendError(res, unavailable(`not ready: ${deps.notReadyReason()}`));
    },
  });
  route('/v2', {
    get: guarded('read', (_req, res) =>
      res.json({ name: deps.server.name, version: deps.server.version, extensions: EXTENSIONS }),
    ),
  });

  const metadata = guarded('read', (req, res) =>
    res.json(engine.metadata(param(req, 'model'), req.params.version as string | undefined)),
  );
  const modelReady = guarded('read', (req, res) => {
    const model = param(req, 'model');
    const version = req.params.version as string | undefined;
    engine.metadata(model, version); // 404 for an unknown model or version
    if (engine.modelReady(model, version)) {
      res.json({ name: model, ...(version !== undefined && { version }), ready: true });
    } else {
      sendError(res, unavailable(`model '${model}'${version ? ` version ${version}` : ''} is not ready`));
    }
  });
  route('/v2/models/:model', { get: metadata });
  route('/v2/models/:model/versions/:version', { get: metadata });
  route('/v2/models/:model/ready', { get: modelReady });
  route('/v2/models/:model/versions/:version/ready', { get: modelReady });

  route('/v2/repository/index', {
    post: guarded('admin', async (req, res) => {
      await parseJsonBody(req, res);
      const body: unknown = req.body === undefined ? {} : req.body;
      if (!isObject(body)) throw badRequest('request body must be a JSON object, e.g. {"ready": true}');
      const ready = body.ready;
      if (ready !== undefined && typeof ready !== 'boolean') throw badRequest('ready must be a boolean');
      const entries = engine.index();
      res.json(ready ? entries.filter((e) => e.state === 'READY') : entries);
    }),
  });
  route('/v2/repository/models/:model/load', {
    post: guarded('admin', async (req, res) => {
      await parseJsonBody(req, res);
      await deps.ops.load(param(req, 'model'), loadConfigOverride(req.body));
      res.json({});
    }),
  });
  route('/v2/repository/models/:model/unload', {
    post: guarded('admin', async (req, res) => {
      await deps.ops.unload(param(req, 'model'));
      res.json({});
    }),
  });

  const { rollouts } = deps;
  if (rollouts) {
    route('/v2/models/:model/rollout', {
      get: guarded('admin', async (req, res) => res.json(await rollouts.status(param(req, 'model')))),
      post: guarded('admin', async (req, res) => {
        await parseJsonBody(req, res);
        res.json(await rollouts.act(param(req, 'model'), req.body));
      }),
    });
  }

  const { experiments } = deps;
  if (experiments) {
    route('/v2/models/:model/feedback', {
      post: guarded('infer', async (req, res) => {
        await parseJsonBody(req, res);
        res.json(await experiments.feedback(param(req, 'model'), req.body));
      }),
    });
    route('/v2/models/:model/experiment', {
      get: guarded('read', async (req, res) => res.json(await experiments.report(param(req, 'model')))),
    });
  }

  route('/metrics', {
    get: async (_req, res) => {
      const text = await deps.ops.metricsText();
      res.setHeader('content-type', deps.contentType);
      res.end(text);
    },
  });
  route('/openapi.json', { get: (_req, res) => res.json(document) });

  // The page and its assets are public; the status it polls is read-scoped, because it carries
  // rollout decisions, experiment outcomes and load failures that their own routes guard. Its
  // actions call the guarded routes above.
  const operatorConsole = consoleRoutes({
    metricsText: deps.ops.metricsText,
    engine,
    registry: deps.metrics.registry,
    rollouts: deps.rollouts,
    experiments: deps.experiments,
  });
  route('/console', { get: operatorConsole.page });
  route('/console/:asset', { get: operatorConsole.asset });
  route('/v2/console/status', { get: guarded('read', operatorConsole.status) });

  app.use((req, res) => sendError(res, new ServiceError(404, `no route for ${req.method} ${req.path}`)));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = statusOf(err);
    if (status >= 500 && !(err instanceof ServiceError)) {
      deps.logger.error({ requestId: res.locals.requestId, path: req.path, err }, 'request failed');
    }
    sendError(res, err);
  });
  return app;
}
