/**
 * Offline synth: runs the stack program under `pulumi.runtime.setMocks` and returns what it declared.
 *
 * ```ts
 * import { synthStack } from '@ml-platform/infra/synth';
 * const { resources, costEstimate, outputs, config } = await synthStack('prod');
 * const broken = await synthStack('prod', { config: { budget: undefined, environment: 'staging' } });
 * ```
 *
 * - `stack`: the stack name; config comes from `Pulumi.<stack>.yaml` at the repo root, or `configFile`.
 * - `config`: raw overrides of `ml-platform:*` keys, with or without the `ml-platform:` prefix. Each key
 *   replaces the file's value wholesale; `undefined` removes it. Use it for broken-fixture stacks.
 * - Resolves to one entry per registered resource (components, custom resources, providers and the
 *   root stack) in registration order: `type` (Pulumi type token), `name`, `urn`, `parent` (URN),
 *   `custom`, `provider` (provider reference) and `inputs` exactly as the program passed them, with
 *   every secret replaced by the string `"[secret]"`. Remote components (`eks:index:Cluster`,
 *   `awsx:ec2:Vpc`) show only their inputs: their children live in another process under a real run.
 * - `outputs`: the stack outputs (including `costEstimate`); `costEstimate` is repeated at the top level.
 * - Rejects with a `ConfigError` (from `@ml-platform/stack-config`) when the config is invalid, before
 *   any resource is declared.
 *
 * Pulumi keeps its runtime state (settings, mocks, config, the root stack resource) in a per-run store on
 * an AsyncLocalStorage. Each call runs inside a fresh store (the mechanism Pulumi's automation API uses to
 * host several inline programs in one process), so repeated calls in one process do not see each other's
 * resources, config or stack transformations. Calls are queued so that at most one synth runs at a time,
 * because the mock monitor hook and `process` listeners are not worth making re-entrant.
 */
import * as pulumi from '@pulumi/pulumi';
import * as pulumiState from '@pulumi/pulumi/runtime/state';
import {
  PROJECT,
  resolveConfigMap,
  stackConfigMap,
  type CostEstimate,
  type StackConfig,
  type StackFileOptions,
} from '@ml-platform/stack-config';
import { platformMocks } from './mocks';
import { program } from '../program';

export type SynthOptions = Pick<StackFileOptions, 'config' | 'configFile'>;

export interface SynthResource {
  type: string;
  name: string;
  urn: string;
  /** URN of the parent resource; absent only for the root stack. */
  parent?: string;
  /** True for provider-managed resources, false for components and the stack. */
  custom: boolean;
  /** Provider reference (`<urn>::<id>`) when the resource names one explicitly. */
  provider?: string;
  inputs: Record<string, unknown>;
}

export interface SynthResult {
  stack: string;
  config: StackConfig;
  resources: SynthResource[];
  outputs: Record<string, unknown>;
  costEstimate: CostEstimate;
}

export const SECRET_PLACEHOLDER = '[secret]';

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getObject(): unknown;
}
interface RegisterResponse {
  getUrn(): string;
}
type Callback = (err: unknown, resp?: RegisterResponse) => void;
interface HookableMonitor {
  registerResource(req: RegisterRequest, cb: Callback): void;
}

// Internal to @pulumi/pulumi (not in its typings) but stable: the automation API's language server uses it.
const { withLocalStorage } = pulumiState as unknown as {
  withLocalStorage<T>(callback: () => Promise<T>): Promise<T>;
};

/** Keeps a secret's shape (so a Secret's `stringData` is still a map) but none of its values. */
function mask(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(mask);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v)]));
  }
  return SECRET_PLACEHOLDER;
}

/** Replaces secret values with a placeholder and resource references with a marker, recursively. */
export function redact(value: unknown): unknown {
  if (pulumi.runtime.isRpcSecret(value)) return mask(pulumi.runtime.unwrapRpcSecret(value));
  if (Array.isArray(value)) return value.map(redact);
  if (pulumi.Resource.isInstance(value)) return `[resource]`;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v);
    return out;
  }
  return value;
}

/** Resolves stack outputs, masking the ones Pulumi would store as secrets. */
async function redactOutputs(declared: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(declared)) {
    if (value === undefined) continue;
    if (pulumi.Output.isInstance(value)) {
      const output = value as pulumi.Output<unknown>;
      const [plain, secret] = await Promise.all([
        new Promise((resolve) => output.apply(resolve)),
        pulumi.isSecret(output),
      ]);
      out[key] = secret ? mask(plain) : redact(plain);
    } else {
      out[key] = redact(value);
    }
  }
  return out;
}

export interface MockRunOptions {
  stack: string;
  region: string;
  /** Pulumi config map (`namespace:key` -> string value). */
  config?: Record<string, string>;
}

/**
 * Runs `init` as a Pulumi program under mocks in a fresh runtime store and returns every resource it
 * registered plus its outputs. The building block of `synthStack`, and of component tests, which
 * declare a single component in `init`.
 */
export function runUnderMocks(
  init: () => Promise<Record<string, unknown> | void> | Record<string, unknown> | void,
  o: MockRunOptions,
): Promise<{ resources: SynthResource[]; outputs: Record<string, unknown> }> {
  const run = queue.then(() =>
    withLocalStorage(async () => {
      await pulumi.runtime.setMocks(platformMocks(o.region), PROJECT, o.stack, false);
      pulumi.runtime.setAllConfig({ 'aws:region': o.region, ...(o.config ?? {}) });
      const resources: SynthResource[] = [];
      const monitor = pulumi.runtime.getMonitor() as unknown as HookableMonitor;
      const register = monitor.registerResource.bind(monitor);
      monitor.registerResource = (req, cb) =>
        register(req, (err, resp) => {
          if (!err && resp) {
            const inputs = pulumi.runtime.deserializeProperties(req.getObject() as never);
            resources.push({
              type: req.getType(),
              name: req.getName(),
              urn: resp.getUrn(),
              ...(req.getParent() ? { parent: req.getParent() } : {}),
              custom: req.getCustom(),
              ...(req.getProvider() ? { provider: req.getProvider() } : {}),
              inputs: redact(inputs) as Record<string, unknown>,
            });
          }
          cb(err, resp);
        });
      let outputs: Record<string, unknown> = {};
      // A throwing program would leave rejected promises inside the Stack resource that nobody
      // awaits; catch inside, let the stack finish empty, and rethrow here instead.
      let failure: { error: unknown } | undefined;
      await pulumi.runtime.runInPulumiStack(async () => {
        try {
          outputs = await redactOutputs((await init()) ?? {});
        } catch (error) {
          failure = { error };
        }
        return {};
      });
      await pulumi.runtime.disconnect();
      if (failure) throw failure.error;
      return { resources, outputs };
    }),
  );
  queue = run.catch(() => undefined);
  return run;
}

let queue: Promise<unknown> = Promise.resolve();

/** See the module comment for the contract. */
export async function synthStack(stack: string, opts: SynthOptions = {}): Promise<SynthResult> {
  const map = stackConfigMap(stack, opts);
  const config = resolveConfigMap(map, `stack ${stack}`);
  const { resources, outputs } = await runUnderMocks(program, { stack, region: config.region, config: map });
  return { stack, config, resources, outputs, costEstimate: outputs.costEstimate as CostEstimate };
}
