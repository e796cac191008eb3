import * as pulumi from '@pulumi/pulumi';
import { readProjectConfig, validateStackConfig } from './config';
import { createPlatform } from './platform';
import { resolveSettings } from './settings';

/** The stack program: read and validate config, then compose the platform. Returns the stack outputs. */
export async function program(): Promise<Record<string, unknown>> {
  const stack = pulumi.getStack();
  const cfg = validateStackConfig(
    readProjectConfig(),
    `stack ${stack}`,
    new pulumi.Config('aws').get('region'),
  );
  return createPlatform(resolveSettings(cfg, stack, pulumi.getProject()));
}
