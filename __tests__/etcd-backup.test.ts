/** Scheduled etcd snapshots: the bucket, the control plane's permission, the timer in user-data. */
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { synthCluster, ref, userDataOf } from "./helpers/synth";
import "./helpers/cdktf-matchers";

const s = synthCluster();
const TIMER = "/etc/systemd/system/k8s-etcd-backup.timer";
/** A node file of the cluster bundle, as Terraform uploads it (control-plane nodes install it at boot). */
const bundleFile = (json: any, nodePath: string): string | undefined => {
  const o = (Object.values(json.resource.aws_s3_object) as { key: string; content_base64: string }[]).find((x) =>
    x.key.endsWith(`/node${nodePath}`),
  );
  return o && Buffer.from(o.content_base64, "base64").toString("utf8");
};

test("a versioned, private bucket named after the cluster and region", () => {
  expect(s.text).toHaveResourceWithProperties(S3Bucket, { bucket: "k8s-cluster-etcd-backup-ap-northeast-2" });
  expect(s.text).toHaveResourceWithProperties(S3BucketVersioningA, {
    bucket: ref("aws_s3_bucket.etcd_backup"),
    versioning_configuration: { status: "Enabled" },
  });
  expect(s.text).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
    bucket: ref("aws_s3_bucket.etcd_backup"),
    block_public_policy: true,
  });
});

test("a lifecycle rule expires snapshots after retentionDays", () =>
  expect(s.text).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
    bucket: ref("aws_s3_bucket.etcd_backup"),
    rule: [
      expect.objectContaining({
        status: "Enabled",
        filter: [{ prefix: "k8s-cluster/etcd/" }],
        expiration: [{ days: 14 }],
        noncurrent_version_expiration: [{ noncurrent_days: 7 }],
      }),
    ],
  }));

test("control-plane nodes may put, get and list snapshots in that bucket only, never delete", () => {
  const { cluster } = buildApp(resolveConfig({}));
  const st = cluster.iam.statements["control-plane/etcd-backup"];
  const actions = st.flatMap((x) => x.Action);
  expect(actions).toEqual(expect.arrayContaining(["s3:PutObject", "s3:GetObject", "s3:ListBucket"]));
  expect(actions.some((a) => /Delete/.test(a))).toBe(false);
  const policy = (s.json.resource as any).aws_iam_policy.control_plane_etcd_backup.policy as string;
  expect(policy).toContain("aws_s3_bucket.etcd_backup.arn");
  expect(Object.keys(cluster.iam.statements).some((k) => k.startsWith("workers/etcd"))).toBe(false);
});

test("control-plane nodes install the snapshot timer from the bundle, env names the bucket; workers neither", () => {
  expect(bundleFile(s.json, TIMER)).toMatch(/^OnCalendar=hourly$/m);
  expect(bundleFile(s.json, "/etc/systemd/system/k8s-etcd-backup.service")).toContain(
    "s3://k8s-cluster-etcd-backup-ap-northeast-2/k8s-cluster/etcd/",
  );
  expect(userDataOf(s.json, "control-plane")).toContain("ETCD_BACKUP_BUCKET=k8s-cluster-etcd-backup-ap-northeast-2\n");
  expect(userDataOf(s.json, "worker")).not.toContain("ETCD_BACKUP_BUCKET=");
  expect(userDataOf(s.json, "worker")).not.toContain("k8s-cluster-etcd-backup-ap-northeast-2");
});

test("configured bucket, schedule and retention", () => {
  const c = synthCluster({ etcdBackup: { bucket: "acme-etcd", schedule: "*-*-* 00/6:00:00", retentionDays: 30 } });
  expect(c.text).toHaveResourceWithProperties(S3Bucket, { bucket: "acme-etcd" });
  expect(c.text).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
    rule: [expect.objectContaining({ expiration: [{ days: 30 }] })],
  });
  expect(bundleFile(c.json, TIMER)).toMatch(/^OnCalendar=\*-\*-\* 00\/6:00:00$/m);
});

test("etcdBackup.enabled false: no bucket, no permission, no timer", () => {
  const c = synthCluster({ etcdBackup: { enabled: false } });
  expect(c.text).not.toHaveResourceWithProperties(S3Bucket, { bucket: "k8s-cluster-etcd-backup-ap-northeast-2" });
  expect(bundleFile(c.json, TIMER)).toBeUndefined();
  expect(userDataOf(c.json, "control-plane")).not.toContain("ETCD_BACKUP_BUCKET=");
  expect(Object.keys((c.json.resource as any).aws_iam_policy)).not.toContain("control_plane_etcd_backup");
});
