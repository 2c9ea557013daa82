/** The S3 statements of control-plane nodes: etcd snapshots, the add-on bundles, the workload identity issuer. */
import { PolicyContext, PolicyStatement, check } from "./policy";
import { ISSUER_OBJECT_KEYS } from "../workload-identity";

/**
 * etcd snapshots of control-plane nodes to one bucket: write and read back objects, list the
 * bucket to find the latest. No DeleteObject: retention is the bucket's lifecycle rule's job, and
 * a compromised node cannot erase backups. Empty when no bucket is configured.
 */
export function etcdBackupStatements(ctx: PolicyContext): PolicyStatement[] {
  check(ctx);
  const bucket = ctx.etcdBackupBucketArn;
  if (!bucket) return [];
  return [
    {
      Sid: "EtcdBackupListBucket",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: bucket,
    },
    {
      Sid: "EtcdBackupObjects",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: `${bucket}/*`,
    },
  ];
}

/**
 * The add-on bundles, read by control-plane nodes (the first one applies them): list and get below
 * addons/ of the assets bucket, nothing else. Empty without a bucket.
 */
export function addonAssetsStatements(ctx: PolicyContext): PolicyStatement[] {
  check(ctx);
  const bucket = ctx.assetsBucketArn;
  if (!bucket) return [];
  return [
    {
      // aws s3 cp --recursive lists the bundle's prefix first.
      Sid: "AddonBundleList",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: bucket,
      Condition: { StringLike: { "s3:prefix": ["addons/*"] } },
    },
    {
      Sid: "AddonBundleRead",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: `${bucket}/addons/*`,
    },
  ];
}

/**
 * The workload identity issuer (src/constructs/oidc-issuer.ts): control-plane nodes publish the
 * API server's discovery document and key set, PutObject of exactly those two keys and nothing
 * else of that bucket (no read, list or delete: anyone reads them over HTTPS anyway). Empty
 * without workload identity.
 */
export function oidcIssuerStatements(ctx: PolicyContext): PolicyStatement[] {
  check(ctx);
  const bucket = ctx.oidcIssuerBucketArn;
  if (!bucket) return [];
  return [
    {
      Sid: "OidcIssuerPublish",
      Effect: "Allow",
      Action: ["s3:PutObject"],
      Resource: Object.values(ISSUER_OBJECT_KEYS).map((k) => `${bucket}/${k}`),
    },
  ];
}
