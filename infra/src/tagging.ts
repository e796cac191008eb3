import * as pulumi from '@pulumi/pulumi';
import { DEFAULT_COST_ALLOCATION_TAG, type StackConfig } from '@ml-platform/stack-config';

/**
 * AWS resource types this program creates whose Args have no `tags` (AWS cannot tag them). Every other
 * `aws:*` type is tagged; a test checks this list against the @pulumi/aws typings so it cannot rot.
 */
export const UNTAGGABLE_AWS_TYPES: ReadonlySet<string> = new Set([
  'aws:autoscaling/tag:Tag',
  'aws:cloudwatch/eventTarget:EventTarget',
  'aws:ec2/securityGroupRule:SecurityGroupRule',
  'aws:eks/accessPolicyAssociation:AccessPolicyAssociation',
  'aws:iam/rolePolicy:RolePolicy',
  'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
  'aws:s3/bucketPolicy:BucketPolicy',
  'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  'aws:s3/bucketVersioning:BucketVersioning',
  'aws:secretsmanager/secretVersion:SecretVersion',
  'aws:sns/topicSubscription:TopicSubscription',
  'aws:sqs/queuePolicy:QueuePolicy',
  'aws:wafv2/webAclAssociation:WebAclAssociation',
]);

/** Multi-language components that forward a `tags` argument to the AWS resources they create. */
const TAG_FORWARDING_COMPONENTS: ReadonlySet<string> = new Set(['awsx:ec2:Vpc', 'eks:index:Cluster']);

export function isTaggable(type: string): boolean {
  if (TAG_FORWARDING_COMPONENTS.has(type)) return true;
  return type.startsWith('aws:') && !type.startsWith('aws:index/provider') && !UNTAGGABLE_AWS_TYPES.has(type);
}

/** Stack tags go under the resource's own tags, so a resource may refine but never drop them. */
export function withTags(
  props: Record<string, unknown>,
  tags: Record<string, string>,
): Record<string, unknown> {
  const own = props.tags as pulumi.Input<Record<string, pulumi.Input<string>>> | undefined;
  return { ...props, tags: pulumi.output(own ?? {}).apply((t) => ({ ...tags, ...t })) };
}

/**
 * Registers a stack-wide transformation that tags every taggable AWS resource declared after it.
 * (`registerStackTransformation` rather than the newer transforms: the latter needs engine support
 * that the offline synth's mock monitor does not offer, and both see the same in-process resources.)
 */
export function registerStackTagging(tags: Record<string, string>): void {
  pulumi.runtime.registerStackTransformation((args) =>
    isTaggable(args.type) ? { props: withTags(args.props, tags), opts: args.opts } : undefined,
  );
}

/** Tags for every taggable AWS resource of a stack; the budget filters on its cost allocation tag. */
export function stackTags(cfg: StackConfig, stack: string, project: string): Record<string, string> {
  return {
    project,
    stack,
    environment: cfg.environment,
    'managed-by': 'pulumi',
    [cfg.budget?.costAllocationTag ?? DEFAULT_COST_ALLOCATION_TAG]: stack,
  };
}
