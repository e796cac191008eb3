import { HEADERS } from '@ml-platform/contract/names';
import { ServiceError } from '../core/errors';
import type { AdmitHook, CallContext } from '../pipeline/phases';
import type { ApiKeyAuth, Principal } from './auth';
import type { RateLimiter, RateLimitDecision, RateLimitSpec } from './rate-limit';

export interface AdmissionDeps {
  /** Undefined: auth off (logged at start-up). */
  auth?: ApiKeyAuth;
  limiter?: RateLimiter;
  /** RATE_LIMIT_RPS / RATE_LIMIT_BURST; undefined: only keys with their own limit are limited. */
  defaultLimit?: RateLimitSpec;
}

/** Without auth every caller is one identity: the limit then caps the whole service, per replica set. */
const ANONYMOUS = 'anonymous';

export function rateLimitHeaders(d: RateLimitDecision): Record<string, string> {
  const h: Record<string, string> = {
    [HEADERS.rateLimitLimit]: String(d.limit),
    [HEADERS.rateLimitRemaining]: String(d.remaining),
    [HEADERS.rateLimitReset]: String(d.resetSeconds),
  };
  if (d.retryAfterSeconds !== undefined) h[HEADERS.retryAfter] = String(d.retryAfterSeconds);
  return h;
}

/**
 * The admit phase's identity and budget check, before the body is read: who is calling (API key,
 * scope), then whether their budget allows it. Metadata reads need the `infer` scope; the
 * repository extension needs `admin`. Every answer, admitted or not, carries the RateLimit-* headers.
 */
export function admissionHook(deps: AdmissionDeps): AdmitHook {
  return (call) => {
    let principal: Principal | undefined;
    if (deps.auth) {
      const verdict = deps.auth.authenticate(call.headers, call.scope === 'admin' ? 'admin' : 'infer');
      if (!verdict.ok) {
        if (verdict.status === 401) call.setHeader(HEADERS.wwwAuthenticate, 'Bearer realm="ml-platform"');
        throw new ServiceError(verdict.status, verdict.message);
      }
      principal = verdict.principal;
    }
    const spec = principal?.rateLimit ?? deps.defaultLimit;
    const limiter = deps.limiter;
    if (!limiter || !spec) return undefined;
    const decision = limiter.consume(principal?.name ?? ANONYMOUS, spec);
    // Most decisions are synchronous (local store, or a leased token): keep those in this tick.
    if (decision instanceof Promise) return decision.then((d) => applyDecision(call, d));
    applyDecision(call, decision);
    return undefined;
  };
}

function applyDecision(call: CallContext, d: RateLimitDecision): void {
  for (const [name, value] of Object.entries(rateLimitHeaders(d))) call.setHeader(name, value);
  if (!d.allowed)
    throw new ServiceError(
      429,
      `rate limit exceeded: ${d.limit} requests per window for this API key; retry after ${d.retryAfterSeconds} s`,
      d.retryAfterSeconds,
    );
}
