/**
 * The non-secret values nodes need at boot, published by Terraform as SSM String parameters, so
 * user-data holds only parameter names (and stays static: no Terraform tokens inside it). The
 * join secrets are not here: the first control-plane node makes and publishes them itself.
 */
import { Construct } from "constructs";
import { Fn } from "cdktf";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { ssmParameterNames } from "../aws/ssm-parameters";
import { named } from "./network";

export interface BootstrapParametersProps {
  readonly ssmPrefix: string;
  readonly apiEndpointDnsName: string;
  /** ARN of the API load balancer's target group. */
  readonly apiTargetGroupArn: string;
  /** Pods subnet per AZ: [az, subnet id]. */
  readonly podsSubnets: readonly (readonly [string, string])[];
  readonly podsSecurityGroupId: string;
  readonly loadBalancerSecurityGroupId: string;
  readonly assetsBucketName: string;
  /** The EBS CSI controller's own role (workload identity with the EBS CSI driver). */
  readonly ebsCsiControllerRoleArn?: string;
}

export class BootstrapParameters extends Construct {
  readonly parameters: SsmParameter[] = [];

  constructor(scope: Construct, id: string, props: BootstrapParametersProps) {
    super(scope, id);
    const names = ssmParameterNames(props.ssmPrefix);
    const put = (key: string, name: string, value: string, description: string) =>
      this.parameters.push(
        named(new SsmParameter(this, key, { name, type: "String", value, description, tier: "Standard" }), key),
      );
    put(
      "api_endpoint",
      names.apiEndpoint,
      props.apiEndpointDnsName,
      "DNS name of the internal API load balancer (kubeadm controlPlaneEndpoint)",
    );
    put(
      "api_target_group",
      names.apiTargetGroup,
      props.apiTargetGroupArn,
      "API target group; the node that runs kubeadm init registers itself here first",
    );
    put(
      "pods_subnets",
      names.podsSubnets,
      Fn.join(
        ",",
        props.podsSubnets.map(([az, id]) => `${az}=${id}`),
      ),
      "Pods subnet per availability zone, az=subnet-id, for the VPC CNI ENIConfigs",
    );
    put(
      "pods_security_group",
      names.podsSecurityGroup,
      props.podsSecurityGroupId,
      "Security group of pod ENIs (sg-pods)",
    );
    put(
      "load_balancer_security_group",
      names.loadBalancerSecurityGroup,
      props.loadBalancerSecurityGroupId,
      "sg-loadbalancers, given to the cloud controller for Service load balancers",
    );
    put(
      "assets_bucket",
      names.assetsBucket,
      props.assetsBucketName,
      "Bucket of the add-on bundles (addons/<digest>/), read over the S3 gateway endpoint",
    );
    if (props.ebsCsiControllerRoleArn)
      put(
        "ebs_csi_controller_role_arn",
        names.ebsCsiControllerRoleArn,
        props.ebsCsiControllerRoleArn,
        "Role of the EBS CSI controller's ServiceAccount (eks.amazonaws.com/role-arn), workload identity",
      );
  }
}
