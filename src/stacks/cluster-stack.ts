/**
 * The cluster stack: everything of one cluster, with its state in the S3 backend that the
 * state-bucket stack creates.
 */
import { Construct } from "constructs";
import { S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { ClusterConfig } from "../config";
import { NetworkPlan, planNetwork } from "../aws/network-plan";
import { Network } from "../constructs/network";
import { SecurityGroupPlan, planSecurityGroups } from "../aws/security-rules";
import { SecurityGroups } from "../constructs/security-groups";

export interface ClusterStackProps {
  readonly config: ClusterConfig;
}

export function defaultTags(config: ClusterConfig): Record<string, string> {
  return { Cluster: config.clusterName, ManagedBy: "cdktf", Repository: "seed-k8s-infra", ...config.tags };
}

export class ClusterStack extends TerraformStack {
  readonly plan: NetworkPlan;
  readonly network: Network;
  readonly securityPlan: readonly SecurityGroupPlan[];
  readonly securityGroups: SecurityGroups;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id);
    const { config } = props;
    this.plan = planNetwork(config);
    this.securityPlan = planSecurityGroups(config, this.plan);

    new AwsProvider(this, "aws", { region: config.region, defaultTags: [{ tags: defaultTags(config) }] });

    new S3Backend(this, {
      bucket: config.state.bucket,
      key: config.state.key,
      region: config.state.region,
      encrypt: true,
    });
    // S3-native state locking (Terraform >= 1.10). cdktf 0.21's typed S3Backend has no prop for it.
    this.addOverride("terraform.backend.s3.use_lockfile", true);

    this.network = new Network(this, "network", { plan: this.plan, clusterName: config.clusterName, region: config.region });

    this.securityGroups = new SecurityGroups(this, "security-groups", {
      plans: this.securityPlan,
      network: this.network,
      clusterName: config.clusterName,
    });

    new TerraformOutput(this, "vpc_id", { value: this.network.vpc.id, description: "The cluster VPC (k8s-cluster)" });
  }
}
