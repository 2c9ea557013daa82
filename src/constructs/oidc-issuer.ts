/**
 * The service-account issuer of workload identity (src/aws/workload-identity.ts): an S3 bucket that
 * holds only the API server's OIDC discovery document and its JSON Web Key Set, and the IAM OIDC
 * provider that trusts it for the audience sts.amazonaws.com.
 *
 * Unlike the project's other buckets (SecureBucket) two objects are public, because AWS STS fetches
 * them without credentials when a pod calls AssumeRoleWithWebIdentity:
 * - the bucket policy lets anyone GetObject exactly those two keys, over TLS only, and denies
 *   every request without TLS; nothing else of the bucket is readable or listable;
 * - ACLs are off (BucketOwnerEnforced) and public ACLs blocked; only the public-policy settings of
 *   the bucket's Block Public Access are off, since they would refuse this policy (an account-wide
 *   Block Public Access does too: docs/security.md says what to do);
 * - SSE-S3 (AES256), not KMS: an anonymous reader cannot use a KMS key;
 * - the control-plane nodes write the two objects (src/aws/iam/buckets.ts oidcIssuerStatements),
 *   Terraform never does, and `terraform destroy` may delete them with the bucket.
 *
 * The provider has no thumbprint_list: optional in AWS provider 5.100.0 (`terraform providers
 * schema -json`: optional and computed), and IAM verifies S3's certificate with its own trusted CAs.
 */
import { Construct } from "constructs";
import { Fn } from "cdktf";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import * as sse from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { named } from "./network";
import { ISSUER_OBJECT_KEYS, STS_AUDIENCE, issuerUrl } from "../aws/workload-identity";

export interface OidcIssuerProps {
  readonly bucketName: string;
  readonly region: string;
}

/** The bucket policy: anonymous GetObject of the two documents over TLS, and TLS only for everything. */
export function issuerBucketPolicy(bucketArn: string): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "PublicReadOfTheIssuerDocuments",
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: Object.values(ISSUER_OBJECT_KEYS).map((k) => `${bucketArn}/${k}`),
        Condition: { Bool: { "aws:SecureTransport": "true" } },
      },
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
}

export class OidcIssuer extends Construct {
  readonly bucket: S3Bucket;
  readonly provider: IamOpenidConnectProvider;
  readonly url: string;

  constructor(scope: Construct, id: string, props: OidcIssuerProps) {
    super(scope, id);
    this.url = issuerUrl(props.bucketName, props.region);
    this.bucket = named(
      new S3Bucket(this, "bucket", {
        bucket: props.bucketName,
        // Only the two documents the nodes publish again at every boot.
        forceDestroy: true,
        tags: { Name: props.bucketName },
      }),
      "oidc_issuer",
    );
    named(
      new sse.S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
        bucket: this.bucket.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
      }),
      "oidc_issuer_encryption",
    );
    const publicAccess = named(
      new S3BucketPublicAccessBlock(this, "public-access-block", {
        bucket: this.bucket.id,
        blockPublicAcls: true,
        ignorePublicAcls: true,
        blockPublicPolicy: false,
        restrictPublicBuckets: false,
      }),
      "oidc_issuer_public_access_block",
    );
    named(
      new S3BucketOwnershipControls(this, "ownership", {
        bucket: this.bucket.id,
        rule: { objectOwnership: "BucketOwnerEnforced" },
      }),
      "oidc_issuer_ownership",
    );
    named(
      new S3BucketPolicy(this, "policy", {
        bucket: this.bucket.id,
        policy: Fn.jsonencode(issuerBucketPolicy(this.bucket.arn)),
        // S3 refuses a public policy while the bucket's block is still being lifted.
        dependsOn: [publicAccess],
      }),
      "oidc_issuer_policy",
    );
    this.provider = named(
      new IamOpenidConnectProvider(this, "provider", {
        url: this.url,
        clientIdList: [STS_AUDIENCE],
        tags: { Name: props.bucketName },
      }),
      "oidc_issuer",
    );
  }
}
