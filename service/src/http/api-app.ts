import { HEADERS } from '@ml-platform/contract/names';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { InferenceEngine } from '../core/engine';
import { ServiceError, badRequest, unavailable } from '../core/errors';
import { openApiDocument } from '@ml-platform/contract/openapi';
import type { AdmitHook, Scope } from '../pipeline/phases';
import { runAdmit } from '../pipeline/run';
import { requestIdOf } from './request-id';
import { sendError, statusOf } from './respond';
import type { ClusterOps } from './cluster-ops';

export interface ApiDeps {
  engine: InferenceEngine;
  /** The admit phase's hooks, run before every guarded handler. */
  admit: readonly AdmitHook[];
  ops: ClusterOps;
  /** Prometheus exposition content type. */
  contentType: string;
  logger: Logger;
  server: { name: string; version: string };
  /** Engine ready and not draining. */
  isReady(): boolean;
}

/** Extensions of the Open Inference Protocol this server implements, as GET /v2 reports them. */
export const EXTENSIONS = ['binary_tensor_data', 'model_repository'];

type Handler = (req: Request, res: Response) => unknown;

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
  const jsonBody = express.json({ limit: '64kb', strict: true });

  route('/v2/health/live', { get: (_req, res) => res.json({ live: true }) });
  route('/v2/health/ready', {
    get: (_req, res) => {
      if (deps.isReady()) res.json({ ready: true });
      else sendError(res, unavailable('not ready: models are loading or the server is shutting down'));
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
      await new Promise<void>((resolve, reject) =>
        jsonBody(req, res, (err?: unknown) => (err ? reject(err) : resolve())),
      );
      const body: unknown = req.body ?? {};
      const ready = (body as { ready?: unknown }).ready;
      if (ready !== undefined && typeof ready !== 'boolean') throw badRequest('ready must be a boolean');
      const entries = engine.index();
      res.json(ready ? entries.filter((e) => e.state === 'READY') : entries);
    }),
  });
  route('/v2/repository/models/:model/load', {
    post: guarded('admin', async (req, res) => {
      await deps.ops.load(param(req, 'model'));
      res.json({});
    }),
  });
  route('/v2/repository/models/:model/unload', {
    post: guarded('admin', async (req, res) => {
      await deps.ops.unload(param(req, 'model'));
      res.json({});
    }),
  });

  route('/metrics', {
    get: async (_req, res) => {
      const text = await deps.ops.metricsText();
      res.setHeader('content-type', deps.contentType);
      res.end(text);
    },
  });
  route('/openapi.json', { get: (_req, res) => res.json(document) });

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
