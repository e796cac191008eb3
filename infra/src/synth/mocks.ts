import type * as pulumi from '@pulumi/pulumi';

/** Account and partition the offline synth pretends to run in; ARNs and ids are derived from them. */
export const MOCK_ACCOUNT_ID = '123456789012';
export const MOCK_PARTITION = 'aws';

const AZ_SUFFIXES = ['a', 'b', 'c', 'd', 'e', 'f'];

function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 60);
}

function service(type: string): string {
  // `aws:ec2/securityGroup:SecurityGroup` -> `ec2`
  return type.split(':')[1]?.split('/')[0] ?? 'unknown';
}

/**
 * State a real provider would report back for the few outputs the program reads (ids, ARNs, names,
 * endpoints). Everything else echoes the inputs, which is what the policies and tests look at.
 */
function plausibleState(args: pulumi.runtime.MockResourceArgs, region: string): Record<string, unknown> {
  const id = `${slug(args.name)}-id`;
  const inputs = args.inputs as Record<string, unknown>;
  const arn = `arn:${MOCK_PARTITION}:${service(args.type)}:${region}:${MOCK_ACCOUNT_ID}:${slug(args.name)}`;
  const base: Record<string, unknown> = { ...inputs, arn, id };
  const azs = AZ_SUFFIXES.slice(0, 3).map((s) => `${region}${s}`);
  switch (args.type) {
    case 'awsx:ec2:Vpc':
      return {
        ...base,
        vpcId: 'vpc-0mock',
        privateSubnetIds: azs.map((_, i) => `subnet-private-${i}`),
        publicSubnetIds: azs.map((_, i) => `subnet-public-${i}`),
        isolatedSubnetIds: [],
      };
    case 'eks:index:Cluster':
      return {
        ...base,
        kubeconfigJson: JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [], users: [] }),
        kubeconfig: { apiVersion: 'v1', kind: 'Config' },
        clusterSecurityGroupId: 'sg-cluster',
        nodeSecurityGroupId: 'sg-nodes',
        oidcProviderArn: `arn:${MOCK_PARTITION}:iam::${MOCK_ACCOUNT_ID}:oidc-provider/oidc.eks.${region}.amazonaws.com/id/MOCK`,
        oidcProviderUrl: `https://oidc.eks.${region}.amazonaws.com/id/MOCK`,
        oidcIssuer: `oidc.eks.${region}.amazonaws.com/id/MOCK`,
      };
    case 'aws:iam/role:Role':
      return {
        ...base,
        arn: `arn:${MOCK_PARTITION}:iam::${MOCK_ACCOUNT_ID}:role/${slug(args.name)}`,
        name: inputs.name ?? slug(args.name),
      };
    case 'aws:sqs/queue:Queue':
      return {
        ...base,
        url: `https://sqs.${region}.amazonaws.com/${MOCK_ACCOUNT_ID}/${slug(args.name)}`,
        name: inputs.name ?? slug(args.name),
      };
    case 'aws:elasticache/replicationGroup:ReplicationGroup':
      return {
        ...base,
        primaryEndpointAddress: `master.${slug(args.name)}.mock.use1.cache.amazonaws.com`,
        readerEndpointAddress: `replica.${slug(args.name)}.mock.use1.cache.amazonaws.com`,
      };
    case 'aws:s3/bucket:Bucket':
    case 'aws:s3/bucketV2:BucketV2':
      return {
        ...base,
        bucket: inputs.bucket ?? slug(args.name),
        arn: `arn:${MOCK_PARTITION}:s3:::${inputs.bucket ?? slug(args.name)}`,
      };
    case 'aws:eks/nodeGroup:NodeGroup':
      return {
        ...base,
        nodeGroupName: slug(args.name),
        resources: [{ autoscalingGroups: [{ name: `eks-${slug(args.name)}-asg` }] }],
      };
    case 'aws:sns/topic:Topic':
      return { ...base, arn: `arn:${MOCK_PARTITION}:sns:${region}:${MOCK_ACCOUNT_ID}:${slug(args.name)}` };
    case 'random:index/randomPassword:RandomPassword':
      return { ...base, result: 'mock-random-password-0123456789abcdef' };
    default:
      return { ...base, name: inputs.name ?? slug(args.name) };
  }
}

/** Answers for the provider functions the program calls while it builds the graph. */
function callResult(args: pulumi.runtime.MockCallArgs, region: string): Record<string, unknown> {
  switch (args.token) {
    case 'aws:index/getAvailabilityZones:getAvailabilityZones':
      return {
        names: AZ_SUFFIXES.map((s) => `${region}${s}`),
        zoneIds: AZ_SUFFIXES.map((_, i) => `use1-az${i + 1}`),
      };
    case 'aws:index/getCallerIdentity:getCallerIdentity':
      return {
        accountId: MOCK_ACCOUNT_ID,
        arn: `arn:${MOCK_PARTITION}:iam::${MOCK_ACCOUNT_ID}:user/synth`,
        userId: 'SYNTH',
      };
    case 'aws:index/getPartition:getPartition':
      return { partition: MOCK_PARTITION, dnsSuffix: 'amazonaws.com' };
    case 'aws:index/getRegion:getRegion':
      return { name: region, region, id: region };
    case 'aws:ec2/getAmi:getAmi':
      return { id: 'ami-0mock', imageId: 'ami-0mock' };
    case 'aws:eks/getCluster:getCluster':
      return { name: args.inputs.name, vpcConfig: { clusterSecurityGroupId: 'sg-eks-cluster' } };
    case 'aws:ssm/getParameter:getParameter':
      return { value: 'ami-0mock', type: 'String' };
    default:
      return {};
  }
}

/** Mocks for `pulumi.runtime.setMocks`: inputs echoed as state plus ids/ARNs, canned provider calls. */
export function platformMocks(region: string): pulumi.runtime.Mocks {
  return {
    newResource: (args) => ({ id: `${slug(args.name)}-id`, state: plausibleState(args, region) }),
    call: (args) => callResult(args, region),
  };
}
