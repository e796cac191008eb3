import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { policyDocument } from '../aws/iam';

/**
 * The model repository bucket: versioned (a bad upload can be rolled back), encrypted with KMS,
 * no public access of any kind, TLS-only.
 */
export function modelBucket(name: string, parent: pulumi.Resource): aws.s3.Bucket {
  const bucket = new aws.s3.Bucket(name, { bucketPrefix: `${name}-`, forceDestroy: false }, { parent });
  new aws.s3.BucketVersioning(
    name,
    { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } },
    { parent },
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    name,
    {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms' }, bucketKeyEnabled: true }],
    },
    { parent },
  );
  const publicBlock = new aws.s3.BucketPublicAccessBlock(
    name,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    { parent },
  );
  new aws.s3.BucketPolicy(
    name,
    {
      bucket: bucket.id,
      policy: policyDocument([
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ]),
    },
    { parent, dependsOn: [publicBlock] },
  );
  return bucket;
}

/** Read-only access to the model prefix: list it, get objects (and their versions). */
export function modelReadStatements(bucketArn: pulumi.Input<string>, prefix: string) {
  return [
    {
      Effect: 'Allow' as const,
      Action: 's3:ListBucket',
      Resource: bucketArn,
      Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    },
    {
      Effect: 'Allow' as const,
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: pulumi.interpolate`${bucketArn}/${prefix}*`,
    },
  ];
}
