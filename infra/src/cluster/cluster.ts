import * as aws from '@pulumi/aws';
import * as eks from '@pulumi/eks';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { podIdentityRole, serviceTrustPolicy } from '../aws/iam';
import { nodeRole } from '../aws/node-role';
import { CHARTS } from '../k8s/charts';
import { helmRelease } from '../k8s/helm';
import { POOL_LABEL, systemNodeSelector } from '../k8s/scheduling';
import { loadBalancerControllerStatements } from './lb-controller-policy';

export interface ClusterArgs {
  name: string;
  /** Kubernetes minor version, e.g. "1.33". */
  version: string;
  vpcId: pulumi.Input<string>;
  privateSubnetIds: pulumi.Input<string[]>;
  publicSubnetIds: pulumi.Input<string[]>;
  region: string;
  systemNodes: { instanceType: string; min: number; max: number; diskSizeGb?: number };
  /** IAM principals granted cluster-admin through access entries (the deployer always is). */
  adminPrincipalArns?: string[];
  /** Install the AWS Load Balancer Controller (needed for Ingress). Default true. */
  loadBalancerController?: boolean;
  /** Deletion protection for the control plane; default false (prod should set it). */
  deletionProtection?: boolean;
}

/** Control-plane logs kept in CloudWatch: enough to audit who changed what. */
export const CLUSTER_LOG_TYPES = ['api', 'audit', 'authenticator'];
/** Default StorageClass (encrypted gp3 through the EBS CSI driver). */
export const STORAGE_CLASS = 'gp3';

/**
 * EKS with API access entries, an OIDC provider plus the Pod Identity agent for workload IAM,
 * KMS-encrypted secrets, a managed system node group, metrics-server and the AWS Load Balancer Controller.
 */
export class Cluster extends pulumi.ComponentResource {
  readonly name: string;
  readonly provider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly nodeRole: aws.iam.Role;
  /** The EKS-managed security group attached to managed nodes (Redis and Karpenter nodes key off it). */
  readonly nodeSecurityGroupId: pulumi.Output<string>;
  readonly oidcProviderArn: pulumi.Output<string>;
  readonly partition: pulumi.Output<string>;
  readonly accountId: pulumi.Output<string>;
  /** Resources the in-cluster add-ons need before they can be scheduled. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ml-platform:cluster:Cluster', name, {}, opts);
    const sys = args.systemNodes;
    if (sys.min > sys.max)
      throw new Error(`Cluster ${name}: systemNodes.min (${sys.min}) must be <= max (${sys.max})`);
    this.name = args.name;
    this.partition = aws.getPartitionOutput({}, { parent: this }).partition;
    this.accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

    const secretsKey = new aws.kms.Key(
      `${name}-secrets`,
      {
        description: `EKS secrets envelope encryption for ${args.name}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
      },
      { parent: this },
    );

    const adminEntries: Record<string, eks.types.input.AccessEntryArgs> = {};
    (args.adminPrincipalArns ?? []).forEach((principalArn, i) => {
      adminEntries[`admin-${i}`] = {
        principalArn,
        accessPolicies: {
          admin: {
            policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
            accessScope: { type: 'cluster' },
          },
        },
      };
    });

    const cluster = new eks.Cluster(
      name,
      {
        name: args.name,
        version: args.version,
        vpcId: args.vpcId,
        privateSubnetIds: args.privateSubnetIds,
        publicSubnetIds: args.publicSubnetIds,
        nodeAssociatePublicIpAddress: false,
        endpointPrivateAccess: true,
        endpointPublicAccess: true,
        authenticationMode: eks.AuthenticationMode.Api,
        accessEntries: adminEntries,
        createOidcProvider: true,
        skipDefaultNodeGroup: true,
        encryptionConfigKeyArn: secretsKey.arn,
        enabledClusterLogTypes: CLUSTER_LOG_TYPES,
        deletionProtection: args.deletionProtection ?? false,
        corednsAddonOptions: { enabled: true },
        kubeProxyAddonOptions: { enabled: true },
        // The VPC CNI enforces NetworkPolicies only when asked to.
        vpcCniOptions: { enableNetworkPolicy: true },
        storageClasses: { [STORAGE_CLASS]: { type: 'gp3', default: true, encrypted: true } },
      },
      { parent: this },
    );
    this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
    this.oidcProviderArn = cluster.oidcProviderArn;
    this.nodeSecurityGroupId = aws.eks.getClusterOutput(
      { name: args.name },
      { parent: this, dependsOn: [cluster] },
    ).vpcConfig.clusterSecurityGroupId;

    // Core add-ons beyond the ones @pulumi/eks manages (vpc-cni, coredns, kube-proxy).
    const addonDefaults = {
      clusterName: args.name,
      resolveConflictsOnCreate: 'OVERWRITE',
      resolveConflictsOnUpdate: 'PRESERVE',
    };
    const podIdentityAgent = new aws.eks.Addon(
      `${name}-eks-pod-identity-agent`,
      { ...addonDefaults, addonName: 'eks-pod-identity-agent' },
      { parent: this, dependsOn: [cluster] },
    );
    const ebsRole = new aws.iam.Role(
      `${name}-ebs-csi`,
      {
        assumeRolePolicy: serviceTrustPolicy('pods.eks.amazonaws.com', ['sts:AssumeRole', 'sts:TagSession']),
      },
      { parent: this },
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-ebs-csi`,
      {
        role: ebsRole.name,
        policyArn: pulumi.interpolate`arn:${this.partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy`,
      },
      { parent: this },
    );
    const ebsCsi = new aws.eks.Addon(
      `${name}-aws-ebs-csi-driver`,
      {
        ...addonDefaults,
        addonName: 'aws-ebs-csi-driver',
        podIdentityAssociations: [{ roleArn: ebsRole.arn, serviceAccount: 'ebs-csi-controller-sa' }],
      },
      { parent: this, dependsOn: [podIdentityAgent] },
    );
    const addons = [podIdentityAgent, ebsCsi];

    this.nodeRole = nodeRole(`${name}-node`, this.partition, this);
    const systemGroup = new aws.eks.NodeGroup(
      `${name}-system`,
      {
        clusterName: args.name,
        nodeRoleArn: this.nodeRole.arn,
        subnetIds: args.privateSubnetIds,
        amiType: eks.AmiType.AL2023X86_64Standard,
        capacityType: 'ON_DEMAND',
        instanceTypes: [sys.instanceType],
        diskSize: sys.diskSizeGb ?? 50,
        scalingConfig: { minSize: sys.min, maxSize: sys.max, desiredSize: sys.min },
        updateConfig: { maxUnavailable: 1 },
        labels: { [POOL_LABEL]: 'system' },
      },
      { parent: this, dependsOn: [cluster], ignoreChanges: ['scalingConfig.desiredSize'] },
    );

    this.provider = new k8s.Provider(
      name,
      { kubeconfig: this.kubeconfig, enableServerSideApply: true },
      { parent: this },
    );
    const k8sOpts = { parent: this, provider: this.provider, dependsOn: [systemGroup, ...addons] };
    const metricsServer = helmRelease(
      'metrics-server',
      CHARTS.metricsServer,
      'kube-system',
      {
        replicas: 2,
        nodeSelector: systemNodeSelector,
        podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
      },
      k8sOpts,
    );
    this.ready = [systemGroup, ...addons, metricsServer];

    if (args.loadBalancerController ?? true) {
      const serviceAccount = 'aws-load-balancer-controller';
      const role = podIdentityRole(
        `${name}-lb-controller`,
        {
          clusterName: args.name,
          namespace: 'kube-system',
          serviceAccount,
          statements: loadBalancerControllerStatements(args.name),
        },
        this,
        [addons[0]],
      );
      const lbc = helmRelease(
        'aws-load-balancer-controller',
        CHARTS.awsLoadBalancerController,
        'kube-system',
        {
          clusterName: args.name,
          region: args.region,
          vpcId: args.vpcId,
          replicaCount: 2,
          nodeSelector: systemNodeSelector,
          serviceAccount: { create: true, name: serviceAccount },
          enableServiceMutatorWebhook: false,
        },
        { ...k8sOpts, dependsOn: [...k8sOpts.dependsOn, role] },
      );
      this.ready.push(lbc);
    }
    this.registerOutputs({ name: this.name, oidcProviderArn: this.oidcProviderArn });
  }
}
