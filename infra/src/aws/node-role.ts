import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { serviceTrustPolicy } from './iam';

/** Managed policies every EKS worker needs: join the cluster, run the VPC CNI, pull images, SSM access. */
export const NODE_MANAGED_POLICIES = [
  'AmazonEKSWorkerNodePolicy',
  'AmazonEKS_CNI_Policy',
  'AmazonEC2ContainerRegistryReadOnly',
  'AmazonSSMManagedInstanceCore',
] as const;

/** An EC2 node role with the worker policies; `roleName` fixes its name (default: auto-named). */
export function nodeRole(
  name: string,
  partition: pulumi.Input<string>,
  parent: pulumi.Resource,
  roleName?: string,
): aws.iam.Role {
  const role = new aws.iam.Role(
    name,
    { ...(roleName ? { name: roleName } : {}), assumeRolePolicy: serviceTrustPolicy('ec2.amazonaws.com') },
    { parent },
  );
  for (const policy of NODE_MANAGED_POLICIES) {
    new aws.iam.RolePolicyAttachment(
      `${name}-${policy}`,
      { role: role.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}` },
      { parent },
    );
  }
  return role;
}
