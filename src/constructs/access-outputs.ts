/**
 * Outputs that tell an operator how to get in: the bastion's address, the API endpoint, ready
 * SSH commands (ProxyJump through the bastion), how to fetch the admin kubeconfig, and how to
 * reach the private API from a laptop (SSH tunnel or Session Manager port forwarding).
 */
import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { PORTS } from "../aws/ports";

/** The API server port the outputs connect to. */
const PORT = PORTS.kubeApiserver;

export interface AccessOutputsProps {
  readonly region: string;
  readonly bastion: Instance;
  /** The control-plane groups: their instances come and go, so the outputs look them up when run. */
  readonly controlPlaneGroups: readonly AutoscalingGroup[];
  /** The workers' groups, one per availability zone. */
  readonly workerGroups: readonly AutoscalingGroup[];
  readonly apiLoadBalancer: Lb;
  readonly vpcId: string;
}

/** Ubuntu images' default login. */
export const LOGIN_USER = "ubuntu";

/**
 * A shell command that prints the ids of the groups' in-service instances, tab-separated (AWS CLI
 * v2; JMESPath: the InService instances of every group, flattened; no double quotes, which the
 * HCL output would keep unescaped).
 */
export function listInstancesCommand(region: string, groupNames: readonly string[]): string {
  return (
    `aws autoscaling describe-auto-scaling-groups --region ${region} ` +
    `--auto-scaling-group-names ${groupNames.join(" ")} ` +
    `--query 'AutoScalingGroups[].Instances[?LifecycleState==\`InService\`][].InstanceId' --output text`
  );
}

/**
 * `$(...)` that prints the private address of a running instance of the group (EC2 tags every
 * instance of a group with aws:autoscaling:groupName).
 */
export function privateIpLookup(region: string, groupName: string): string {
  return (
    `$(aws ec2 describe-instances --region ${region} ` +
    `--filters Name=tag:aws:autoscaling:groupName,Values=${groupName} Name=instance-state-name,Values=running ` +
    `--query 'Reservations[].Instances[].PrivateIpAddress' --output text | cut -f1)`
  );
}

export class AccessOutputs extends Construct {
  constructor(scope: Construct, id: string, props: AccessOutputsProps) {
    super(scope, id);
    const bastion = `${LOGIN_USER}@${props.bastion.publicIp}`;
    const groupNames = props.controlPlaneGroups.map((g) => g.name);
    const cp = `${LOGIN_USER}@${privateIpLookup(props.region, groupNames[0])}`;
    const api = props.apiLoadBalancer.dnsName;
    const out = (name: string, value: string, description: string) =>
      new TerraformOutput(scope, name, { value, description });

    out("vpc_id", props.vpcId, "The cluster VPC (k8s-cluster)");
    out(
      "bastion_public_ip",
      props.bastion.publicIp,
      "Public IP of the bastion host (SSH on 22 from bastion.adminCidrs)",
    );
    out("bastion_instance_id", props.bastion.id, "Instance id of the bastion, for Session Manager");
    new TerraformOutput(scope, "control_plane_groups", {
      value: groupNames,
      description: "Auto scaling groups of the control plane, one node each (instances are replaced: look them up)",
    });
    new TerraformOutput(scope, "worker_groups", {
      value: props.workerGroups.map((g) => g.name),
      description: "Auto scaling groups of the workers, one per availability zone",
    });
    out(
      "control_plane_instance_ids_command",
      listInstancesCommand(props.region, groupNames),
      "Prints the instance ids of the in-service control-plane nodes, " +
        "for Session Manager (aws ssm start-session --target ID)",
    );
    out(
      "api_endpoint",
      `https://${api}:${PORT}`,
      "Kubernetes API endpoint: the internal NLB (reachable only inside the VPC)",
    );
    out("ssh_bastion", `ssh ${bastion}`, "SSH to the bastion");
    out(
      "ssh_control_plane",
      `ssh -J ${bastion} ${cp}`,
      "SSH to the control-plane node of the first group through the bastion (ProxyJump; looks its address up)",
    );
    out(
      "fetch_kubeconfig",
      `ssh -J ${bastion} ${cp} 'sudo cat /etc/kubernetes/admin.conf' > admin.conf && chmod 600 admin.conf`,
      "Copy the admin kubeconfig to ./admin.conf (cluster-admin: keep it safe)",
    );
    out(
      "kubectl_via_ssh_tunnel",
      `ssh -f -N -L ${PORT}:${api}:${PORT} ${bastion} && ` +
        `kubectl --kubeconfig admin.conf --server https://127.0.0.1:${PORT} --tls-server-name ${api} get nodes`,
      "Reach the private API from a laptop through an SSH tunnel to the bastion",
    );
    out(
      "kubectl_via_session_manager",
      // The session takes a few seconds to listen: wait (at most 30 s) until the forwarded port answers.
      `aws ssm start-session --region ${props.region} --target ${props.bastion.id} ` +
        "--document-name AWS-StartPortForwardingSessionToRemoteHost " +
        `--parameters host=${api},portNumber=${PORT},localPortNumber=${PORT} >/dev/null & ` +
        `n=0; until curl -sk -o /dev/null --max-time 2 https://127.0.0.1:${PORT}/livez; do n=$((n+1)); ` +
        `if [ $n -ge 30 ]; then echo 'port ${PORT} not forwarded after 30 s' >&2; break; fi; sleep 1; done; ` +
        `kubectl --kubeconfig admin.conf --server https://127.0.0.1:${PORT} --tls-server-name ${api} get nodes`,
      "Reach the private API without SSH keys: Session Manager port forwarding through the bastion",
    );
  }
}
