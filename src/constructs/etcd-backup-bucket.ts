/**
 * Where the control-plane nodes put their etcd snapshots: a secure bucket (see SecureBucket)
 * whose snapshots expire after `retentionDays`; reached from the nodes through the S3 gateway
 * endpoint of the spec's route tables.
 */
import { Construct } from "constructs";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { SecureBucket } from "./secure-bucket";
import { named } from "./network";

export interface EtcdBackupBucketProps {
  readonly bucketName: string;
  readonly prefix: string;
  readonly retentionDays: number;
}

export class EtcdBackupBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: EtcdBackupBucketProps) {
    super(scope, id);
    const secure = new SecureBucket(this, "bucket", {
      bucketName: props.bucketName,
      key: "etcd_backup",
      preventDestroy: false,
    });
    this.bucket = secure.bucket;
    named(
      new S3BucketLifecycleConfiguration(this, "lifecycle", {
        bucket: this.bucket.id,
        rule: [
          {
            id: "expire-etcd-snapshots",
            status: "Enabled",
            filter: [{ prefix: `${props.prefix}/` }],
            expiration: [{ days: props.retentionDays }],
            noncurrentVersionExpiration: [{ noncurrentDays: 7 }],
            abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
          },
        ],
        dependsOn: [secure.versioning],
      }),
      "etcd_backup_lifecycle",
    );
  }
}
