/** Terraform state: the cluster stack's S3 backend, and the stack that creates its bucket. */
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import * as sse from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { synthCluster, synthStateBucket } from "./helpers/synth";
import "./helpers/cdktf-matchers";

describe("cluster stack S3 backend", () => {
  const backend = (input = {}) => (synthCluster(input).json as any).terraform.backend;
  test("defaults: bucket, key, region, encryption", () =>
    expect(backend().s3).toEqual(
      expect.objectContaining({
        bucket: "k8s-cluster-tfstate-ap-northeast-2",
        key: "k8s-cluster/terraform.tfstate",
        region: "ap-northeast-2",
        encrypt: true,
      }),
    ));
  test("S3-native locking (use_lockfile) is in the output", () => expect(backend().s3.use_lockfile).toBe(true));
  test("no DynamoDB lock table is needed", () => expect(backend().s3.dynamodb_table).toBeUndefined());
  test("configured bucket, key and region are used", () =>
    expect(backend({ state: { bucket: "acme-tfstate", key: "prod/k8s.tfstate", region: "eu-west-1" } }).s3).toEqual(
      expect.objectContaining({ bucket: "acme-tfstate", key: "prod/k8s.tfstate", region: "eu-west-1" }),
    ));
  test("the only provider is hashicorp/aws, pinned to the mirror's 5.100.0", () => {
    const tf = (synthCluster().json as any).terraform;
    expect(Object.keys(tf.required_providers)).toEqual(["aws"]);
    expect(tf.required_providers.aws.version).toBe("5.100.0");
  });
});

describe("state-bucket stack", () => {
  const s = synthStateBucket();
  test("keeps its own state locally (the bucket does not exist yet)", () =>
    expect((s.json as any).terraform.backend.local).toBeDefined());
  test("creates the backend's bucket, protected from destroy", () =>
    expect(s.text).toHaveResourceWithProperties(S3Bucket, {
      bucket: "k8s-cluster-tfstate-ap-northeast-2",
      lifecycle: { prevent_destroy: true },
    }));
  test("versioning enabled", () =>
    expect(s.text).toHaveResourceWithProperties(S3BucketVersioningA, {
      versioning_configuration: { status: "Enabled" },
    }));
  test("default encryption (KMS)", () =>
    expect(s.text).toHaveResourceWithProperties(sse.S3BucketServerSideEncryptionConfigurationA, {
      rule: [expect.objectContaining({ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" } })],
    }));
  test("all public access blocked", () =>
    expect(s.text).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    }));
  test("bucket policy denies any request without TLS", () => {
    const policy = Object.values((s.json as any).resource.aws_s3_bucket_policy)[0] as any;
    expect(policy.policy).toMatch(/"aws:SecureTransport" = "false"/);
    expect(policy.policy).toMatch(/"Effect" = "Deny"/);
    expect(s.text).toHaveResourceWithProperties(S3BucketPolicy, { bucket: "${aws_s3_bucket.state_bucket.id}" });
  });
});
