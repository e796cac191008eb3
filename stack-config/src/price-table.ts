/**
 * On-demand list prices (USD per hour, Linux, shared tenancy) used by the offline cost estimate.
 * Taken from the public AWS price list for one region on one date; update both fields together.
 * Spot capacity is priced at the on-demand rate on purpose: the estimate is an upper bound that a
 * budget must survive when Spot capacity is unavailable and groups fall back to on-demand prices.
 */
export interface PriceTable {
  region: string;
  /** ISO date the prices were read. */
  asOf: string;
  currency: 'USD';
  hoursPerMonth: number;
  ec2: Readonly<Record<string, number>>;
  /** NVIDIA GPUs per instance for the GPU types in `ec2`: what a GPU node group may use. */
  ec2Gpus: Readonly<Record<string, number>>;
  elasticache: Readonly<Record<string, number>>;
  eksControlPlanePerHour: number;
  natGatewayPerHour: number;
  albPerHour: number;
  ebsGp3PerGbMonth: number;
  wafWebAclPerMonth: number;
  wafRulePerMonth: number;
}

export const PRICE_TABLE: PriceTable = {
  region: 'us-east-1',
  asOf: '2025-06-01',
  currency: 'USD',
  hoursPerMonth: 730,
  ec2: {
    't3.medium': 0.0416,
    't3.large': 0.0832,
    't3.xlarge': 0.1664,
    'm6i.large': 0.096,
    'm6i.xlarge': 0.192,
    'm6i.2xlarge': 0.384,
    'm7i.large': 0.1008,
    'm7i.xlarge': 0.2016,
    'c6i.xlarge': 0.17,
    'g4dn.xlarge': 0.526,
    'g4dn.2xlarge': 0.752,
    'g5.xlarge': 1.006,
    'g5.2xlarge': 1.212,
    'g5.4xlarge': 1.624,
    'g6.xlarge': 0.8048,
    'g6.2xlarge': 0.9776,
  },
  ec2Gpus: {
    'g4dn.xlarge': 1,
    'g4dn.2xlarge': 1,
    'g5.xlarge': 1,
    'g5.2xlarge': 1,
    'g5.4xlarge': 1,
    'g6.xlarge': 1,
    'g6.2xlarge': 1,
  },
  elasticache: {
    'cache.t4g.micro': 0.016,
    'cache.t4g.small': 0.032,
    'cache.t4g.medium': 0.065,
    'cache.m7g.large': 0.158,
    'cache.r7g.large': 0.219,
    'cache.r7g.xlarge': 0.437,
  },
  eksControlPlanePerHour: 0.1,
  natGatewayPerHour: 0.045,
  albPerHour: 0.0225,
  ebsGp3PerGbMonth: 0.08,
  wafWebAclPerMonth: 5,
  wafRulePerMonth: 1,
};
