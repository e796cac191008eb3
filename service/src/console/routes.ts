import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Request, Response } from 'express';
import { METRICS } from '@ml-platform/contract/names';
import type { Registry } from 'prom-client';
import { badRequest, notFound } from '../core/errors';
import { defineGauge } from '../observability/metrics';
import { StatusCollector, type StatusCollectorOptions } from './status-collector';

/** The page, its icon and its bundle (service/console/build.ts writes console.js and console.css). */
export const PUBLIC_DIR = join(__dirname, '..', '..', 'console', 'public');

const ASSETS: Record<string, string> = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};

/**
 * Everything comes from this origin and nothing runs inline, so an injected string can neither
 * execute nor load anything; connect-src 'self' is what the page polls and posts to.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

type Handler = (req: Request, res: Response) => unknown;

export interface ConsoleRoutes {
  page: Handler;
  asset: Handler;
  status: Handler;
}

/**
 * GET /console, its two assets and GET /v2/console/status. `metricsText` is what GET /metrics
 * serves, so with WORKERS > 1 the console reads the primary's aggregate of every worker.
 */
export function consoleRoutes(
  deps: Pick<StatusCollectorOptions, 'metricsText' | 'engine' | 'rollouts' | 'experiments'> & {
    registry: Registry;
  },
): ConsoleRoutes {
  // Each process counts 1; the cluster primary's sum is the worker count the page shows.
  defineGauge(deps.registry, {
    ...METRICS.workerProcesses,
    help: 'Serving processes: 1 per process, so the sum across node:cluster workers is their number.',
  }).set(1);
  const collector = new StatusCollector(deps);
  const files = new Map<string, Buffer>();
  const file = (name: string) => {
    let body = files.get(name);
    if (!body) files.set(name, (body = readFileSync(join(PUBLIC_DIR, name))));
    return body;
  };
  const send = (res: Response, type: string, body: Buffer | string) => {
    res.setHeader('content-type', type);
    res.setHeader('content-security-policy', CONSOLE_CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cache-control', 'no-cache');
    res.end(body);
  };

  return {
    page: (_req, res) => send(res, 'text/html; charset=utf-8', file('index.html')),
    asset: (req, res) => {
      const name = req.params.asset as string;
      const type = ASSETS[name];
      if (!type) throw notFound(`no console asset '${name}'`);
      send(res, type, file(name));
    },
    status: async (req, res) => {
      const since = req.query.since;
      let sinceMs: number | undefined;
      if (since !== undefined) {
        sinceMs = Number(since);
        if (typeof since !== 'string' || !Number.isFinite(sinceMs))
          throw badRequest('since must be a time in milliseconds since the epoch');
      }
      send(res, 'application/json; charset=utf-8', JSON.stringify(await collector.status(sinceMs)));
    },
  };
}
