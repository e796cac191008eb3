import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: pulumi.Input<string> | pulumi.Input<string>[];
  Condition?: Record<string, Record<string, pulumi.Input<string> | pulumi.Input<string>[]>>;
  Principal?: Record<string, string | string[]>;
}

export function policyDocument(statements: PolicyStatement[]): pulumi.Output<string> {
  return pulumi.jsonStringify({ Version: '2012-10-17', Statement: statements });
}

/** Trust policy for a role assumed by an AWS service (EC2 for nodes, EKS Pod Identity for pods). */
export function serviceTrustPolicy(service: string, actions: string[] = ['sts:AssumeRole']): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: actions }],
  });
}

export interface PodIdentityArgs {
  clusterName: pulumi.Input<string>;
  namespace: string;
  serviceAccount: string;
  /** Inline policy the pod gets; keep it to what the workload needs. */
  statements: PolicyStatement[];
}

/**
 * An IAM role for one Kubernetes service account through EKS Pod Identity (no OIDC trust to maintain):
 * the role, its inline policy and the association. Returns the role.
 */
export function podIdentityRole(
  name: string,
  args: PodIdentityArgs,
  parent: pulumi.Resource,
  dependsOn?: pulumi.Input<pulumi.Resource>[],
): aws.iam.Role {
  const role = new aws.iam.Role(
    name,
    { assumeRolePolicy: serviceTrustPolicy('pods.eks.amazonaws.com', ['sts:AssumeRole', 'sts:TagSession']) },
    { parent },
  );
  new aws.iam.RolePolicy(name, { role: role.name, policy: policyDocument(args.statements) }, { parent });
  new aws.eks.PodIdentityAssociation(
    name,
    {
      clusterName: args.clusterName,
      namespace: args.namespace,
      serviceAccount: args.serviceAccount,
      roleArn: role.arn,
    },
    { parent, dependsOn },
  );
  return role;
}
