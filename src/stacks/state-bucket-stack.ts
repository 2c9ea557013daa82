/**
 * The first stack on a new account: the S3 bucket that holds the cluster stack's state. Its own
 * state is local (there is nowhere else to keep it before the bucket exists).
 */
import { Construct } from "constructs";
import { Fn, LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { ClusterConfig } from "../config";
import { named } from "../constructs/network";
import { defaultTags } from "./cluster-stack";

export class StateBucketStack extends TerraformStack {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: { config: ClusterConfig }) {
    super(scope, id);
    const { config } = props;
    new AwsProvider(this, "aws", { region: config.state.region, defaultTags: [{ tags: defaultTags(config) }] });
    new LocalBackend(this, { path: "terraform.tfstate" });

    this.bucket = named(
      new S3Bucket(this, "bucket", {
        bucket: config.state.bucket,
        tags: { Name: config.state.bucket },
        // Losing this bucket loses the cluster's state: make destroying it a deliberate edit.
        lifecycle: { preventDestroy: true },
      }),
      "state_bucket",
    );
    named(
      new S3BucketVersioningA(this, "versioning", { bucket: this.bucket.id, versioningConfiguration: { status: "Enabled" } }),
      "state_bucket_versioning",
    );
    named(
      new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
        bucket: this.bucket.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }],
      }),
      "state_bucket_encryption",
    );
    named(
      new S3BucketPublicAccessBlock(this, "public-access-block", {
        bucket: this.bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      }),
      "state_bucket_public_access_block",
    );
    named(
      new S3BucketOwnershipControls(this, "ownership", { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }),
      "state_bucket_ownership",
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
      "state_bucket_tls_only",
    );

    new TerraformOutput(this, "state_bucket", { value: this.bucket.bucket, description: "Bucket holding the cluster stack's Terraform state" });
  }
}
