/**
 * An S3 bucket the way both of this project's buckets need it: versioned, KMS-encrypted by
 * default, all public access blocked, owner-enforced, and a policy denying requests without TLS.
 * Used for the Terraform state bucket, the etcd snapshot bucket and the add-on assets bucket.
 */
import { Construct } from "constructs";
import { Fn } from "cdktf";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import * as sse from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { named } from "./network";

export interface SecureBucketProps {
  /** A fixed name, or (bucketPrefix) a prefix that Terraform completes to a unique name. */
  readonly bucketName?: string;
  readonly bucketPrefix?: string;
  /** Prefix of every Terraform name: "state_bucket" gives state_bucket, state_bucket_versioning, ... */
  readonly key: string;
  readonly preventDestroy: boolean;
  /** Let `terraform destroy` delete the bucket with its objects (and their old versions). */
  readonly forceDestroy?: boolean;
}

export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly versioning: S3BucketVersioningA;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const k = props.key;
    if ((props.bucketName === undefined) === (props.bucketPrefix === undefined))
      throw new Error(`SecureBucket ${k}: give exactly one of bucketName and bucketPrefix`);
    this.bucket = named(
      new S3Bucket(this, "bucket", {
        bucket: props.bucketName,
        bucketPrefix: props.bucketPrefix,
        forceDestroy: props.forceDestroy,
        tags: { Name: props.bucketName ?? props.bucketPrefix! },
        lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
      }),
      k,
    );
    this.versioning = named(
      new S3BucketVersioningA(this, "versioning", {
        bucket: this.bucket.id,
        versioningConfiguration: { status: "Enabled" },
      }),
      `${k}_versioning`,
    );
    named(
      new sse.S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
        bucket: this.bucket.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }],
      }),
      `${k}_encryption`,
    );
    named(
      new S3BucketPublicAccessBlock(this, "public-access-block", {
        bucket: this.bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      }),
      `${k}_public_access_block`,
    );
    named(
      new S3BucketOwnershipControls(this, "ownership", {
        bucket: this.bucket.id,
        rule: { objectOwnership: "BucketOwnerEnforced" },
      }),
      `${k}_ownership`,
    );
    named(
      new S3BucketPolicy(this, "tls-only", {
        bucket: this.bucket.id,
        policy: Fn.jsonencode({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        }),
      }),
      `${k}_tls_only`,
    );
  }
}
