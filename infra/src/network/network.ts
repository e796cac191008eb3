import * as awsx from '@pulumi/awsx';
import * as pulumi from '@pulumi/pulumi';

export interface NetworkArgs {
  /** EKS cluster name, for the subnet discovery tags of the load balancer controller and Karpenter. */
  clusterName: string;
  /** AWS region (for the S3 gateway endpoint's service name). */
  region: string;
  /** VPC CIDR; default 10.0.0.0/16. */
  cidr?: string;
  /** Availability zones to span; at least 2, default 2. */
  availabilityZones?: number;
  /** `one-per-az` keeps each AZ's egress alive when another AZ fails; `single` is cheaper. Default `single`. */
  natGateways?: 'single' | 'one-per-az';
}

/** Subnet tags that let the AWS Load Balancer Controller and Karpenter find their subnets. */
export function subnetTags(clusterName: string, kind: 'public' | 'private'): Record<string, string> {
  const shared = { [`kubernetes.io/cluster/${clusterName}`]: 'shared' };
  return kind === 'public'
    ? { ...shared, 'kubernetes.io/role/elb': '1' }
    : { ...shared, 'kubernetes.io/role/internal-elb': '1', 'karpenter.sh/discovery': clusterName };
}

/** A VPC with public subnets (load balancers, NAT) and private subnets (nodes, Redis) in each AZ. */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly cidr: string;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ml-platform:network:Network', name, {}, opts);
    const azs = args.availabilityZones ?? 2;
    if (azs < 2) throw new Error(`Network ${name}: availabilityZones must be >= 2, got ${azs}`);
    this.cidr = args.cidr ?? '10.0.0.0/16';
    const prefix = Number(this.cidr.split('/')[1]);
    if (!(prefix >= 16 && prefix <= 20))
      throw new Error(`Network ${name}: cidr must have a /16 to /20 prefix, got ${this.cidr}`);
    const vpc = new awsx.ec2.Vpc(
      name,
      {
        cidrBlock: this.cidr,
        numberOfAvailabilityZones: azs,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        natGateways: {
          strategy:
            args.natGateways === 'one-per-az'
              ? awsx.ec2.NatGatewayStrategy.OnePerAz
              : awsx.ec2.NatGatewayStrategy.Single,
        },
        subnetStrategy: awsx.ec2.SubnetAllocationStrategy.Auto,
        subnetSpecs: [
          {
            type: awsx.ec2.SubnetType.Public,
            cidrMask: prefix + 6,
            tags: subnetTags(args.clusterName, 'public'),
          },
          {
            type: awsx.ec2.SubnetType.Private,
            cidrMask: prefix + 3,
            tags: subnetTags(args.clusterName, 'private'),
          },
        ],
        // S3 through a gateway endpoint: model downloads skip the NAT's per-GB charge.
        vpcEndpointSpecs: [
          { serviceName: `com.amazonaws.${args.region}.s3`, vpcEndpointType: 'Gateway', autoAccept: true },
        ],
      },
      { parent: this },
    );
    this.vpcId = vpc.vpcId;
    this.privateSubnetIds = vpc.privateSubnetIds;
    this.publicSubnetIds = vpc.publicSubnetIds;
    this.registerOutputs({
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      publicSubnetIds: this.publicSubnetIds,
    });
  }
}
