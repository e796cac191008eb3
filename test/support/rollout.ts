import { join } from 'node:path';
import { FIXTURE_MODELS } from './model-repo';
import { runLoad, type LoadResult } from './load';

/**
 * Helpers for the model rollout tests: a two-version model whose canary is a fault fixture, the
 * rollout API, and steady load whose inputs switch on cue to ones only the canary fails on.
 */
export const indexBody = (index: number) =>
  JSON.stringify({ inputs: [{ name: 'index', shape: [1, 1], datatype: 'INT64', data: [index] }] });

/**
 * Model `name`: version 1 is flaky-fallback (never fails), version 2 is `canary` (flaky: fails for
 * index >= 10; flaky-slow: same answers, slower), judged in short windows so tests stay bounded.
 */
export function rolloutModel(
  name: string,
  canary: 'flaky' | 'flaky-slow',
  config: Record<string, unknown> = {},
) {
  return {
    name,
    from: join(FIXTURE_MODELS, 'flaky-fallback'),
    versions: ['1', '2'],
    versionFrom: { '2': join(FIXTURE_MODELS, canary, '1') },
    config: {
      version_policy: { latest: { num_versions: 2 } },
      sla: { p99_latency_ms: 1000 },
      rollout: { steps: [10, 50, 100], window_seconds: 2, min_requests: 10, healthy_windows: 1 },
      ...config,
    },
  };
}

export interface RolloutView {
  scope: 'shared' | 'process';
  note?: string;
  state: string;
  paused: boolean;
  versions: { stable: string | null; canary: string | null };
  weights: { stable: number; canary: number };
  step: number | null;
  /** Why the rollout neither promotes nor steps up yet; null when nothing holds it. */
  waiting: string | null;
  lastWindow: unknown;
  history: { at: string; kind: string; by: string; version: string; weightPct: number; reason: string }[];
}

export async function getRollout(url: string, model: string): Promise<RolloutView> {
  const res = await fetch(`${url}/v2/models/${model}/rollout`);
  if (res.status !== 200) throw new Error(`GET rollout: ${res.status} ${await res.text()}`);
  return (await res.json()) as RolloutView;
}

export async function postRollout(url: string, model: string, body: unknown): Promise<Response> {
  return fetch(`${url}/v2/models/${model}/rollout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export async function waitForRollout(
  url: string,
  model: string,
  done: (v: RolloutView) => boolean,
  timeoutMs: number,
): Promise<RolloutView> {
  const stop = Date.now() + timeoutMs;
  let last: RolloutView | undefined;
  while (Date.now() < stop) {
    last = await getRollout(url, model).catch(() => last);
    if (last && done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`rollout of ${model} did not get there in ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

/** A load result with its wall-clock start, to compare with the server's decision timestamps. */
export type TimedResult = LoadResult & { at: number };

/**
 * Steady closed-loop load on every URL until `stop()` resolves; inputs are 0..9 until `cue.failing`
 * turns true, then 10..19 (flaky fails them, flaky-fallback answers them).
 */
export async function steadyLoad(
  urls: string[],
  cue: { failing: boolean },
  until: Promise<unknown>,
  maxMs = 60_000,
): Promise<TimedResult[]> {
  let stopped = false;
  void until.finally(() => (stopped = true));
  const runs = urls.map((url) =>
    runLoad({
      url,
      count: 1_000_000,
      concurrency: 3,
      pauseMs: 4,
      durationMs: maxMs,
      request: (i) => ({ body: indexBody((cue.failing ? 10 : 0) + (i % 10)) }),
      stop: () => stopped,
    }),
  );
  const results = (await Promise.all(runs)).flat();
  return results.map((r) => ({ ...r, at: performance.timeOrigin + r.startedAt }));
}
