import * as pulumi from '@pulumi/pulumi';
import { resolveConfigMap } from '@ml-platform/stack-config';
import { createPlatform } from './platform';

/**
 * The stack program: validate the config the engine hands it (every namespace, so `aws:region` is
 * checked too), then compose the platform. Returns the stack outputs.
 */
export async function program(): Promise<Record<string, unknown>> {
  const stack = pulumi.getStack();
  const cfg = resolveConfigMap(pulumi.runtime.allConfig(), `stack ${stack}`);
  return createPlatform(cfg, stack, pulumi.getProject());
}
