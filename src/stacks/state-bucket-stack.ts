/**
 * The first stack on a new account: the S3 bucket that holds the cluster stack's state. Its own
 * state is local (there is nowhere else to keep it before the bucket exists).
 */
import { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { ClusterConfig } from "../config";
import { SecureBucket } from "../constructs/secure-bucket";
import { defaultTags } from "./cluster-stack";

export class StateBucketStack extends TerraformStack {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: { config: ClusterConfig }) {
    super(scope, id);
    const { config } = props;
    new AwsProvider(this, "aws", {
      region: config.state.region,
      defaultTags: [{ tags: defaultTags(config) }],
      // A region newer than the provider's own list (allowUnlistedRegion) must not stop the plan.
      skipRegionValidation: config.allowUnlistedRegion ? true : undefined,
    });
    new LocalBackend(this, { path: "terraform.tfstate" });

    // Losing this bucket loses the cluster's state: destroying it must be a deliberate edit.
    this.bucket = new SecureBucket(this, "state", {
      bucketName: config.state.bucket,
      key: "state_bucket",
      preventDestroy: true,
    }).bucket;

    new TerraformOutput(this, "state_bucket", {
      value: this.bucket.bucket,
      description: "Bucket holding the cluster stack's Terraform state",
    });
  }
}
