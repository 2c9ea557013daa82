/**
 * Outputs that tell an operator how to get in: the bastion's address, the API endpoint, ready
 * SSH commands (ProxyJump through the bastion), how to fetch the admin kubeconfig, and how to
 * reach the private API from a laptop (SSH tunnel or Session Manager port forwarding).
 */
import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { PORTS } from "../aws/ports";

/** The API server port the outputs connect to. */
const PORT = PORTS.kubeApiserver;

export interface AccessOutputsProps {
  readonly region: string;
  readonly bastion: Instance;
  readonly firstControlPlane: Instance;
  readonly controlPlaneInstanceIds: string[];
  readonly apiLoadBalancer: Lb;
  readonly vpcId: string;
}

/** Ubuntu images' default login. */
export const LOGIN_USER = "ubuntu";

export class AccessOutputs extends Construct {
  constructor(scope: Construct, id: string, props: AccessOutputsProps) {
    super(scope, id);
    const bastion = `${LOGIN_USER}@${props.bastion.publicIp}`;
    const cp = `${LOGIN_USER}@${props.firstControlPlane.privateIp}`;
    const api = props.apiLoadBalancer.dnsName;
    const out = (name: string, value: string, description: string) => new TerraformOutput(scope, name, { value, description });

    out("vpc_id", props.vpcId, "The cluster VPC (k8s-cluster)");
    out("bastion_public_ip", props.bastion.publicIp, "Public IP of the bastion host (SSH on 22 from bastion.adminCidrs)");
    out("bastion_instance_id", props.bastion.id, "Instance id of the bastion, for Session Manager");
    new TerraformOutput(scope, "control_plane_instance_ids", {
      value: props.controlPlaneInstanceIds,
      description: "Instance ids of the control-plane nodes, for Session Manager (aws ssm start-session --target ID)",
    });
    out("api_endpoint", `https://${api}:${PORT}`, "Kubernetes API endpoint: the internal NLB (reachable only inside the VPC)");
    out("ssh_bastion", `ssh ${bastion}`, "SSH to the bastion");
    out("ssh_control_plane", `ssh -J ${bastion} ${cp}`, "SSH to the first control-plane node through the bastion (ProxyJump)");
    out(
      "fetch_kubeconfig",
      `ssh -J ${bastion} ${cp} 'sudo cat /etc/kubernetes/admin.conf' > admin.conf && chmod 600 admin.conf`,
      "Copy the admin kubeconfig to ./admin.conf (cluster-admin: keep it safe)",
    );
    out(
      "kubectl_via_ssh_tunnel",
      `ssh -f -N -L ${PORT}:${api}:${PORT} ${bastion} && kubectl --kubeconfig admin.conf --server https://127.0.0.1:${PORT} --tls-server-name ${api} get nodes`,
      "Reach the private API from a laptop through an SSH tunnel to the bastion",
    );
    out(
      "kubectl_via_session_manager",
      // The session takes a few seconds to listen: wait (at most 30 s) until the forwarded port answers.
      `aws ssm start-session --region ${props.region} --target ${props.bastion.id} --document-name AWS-StartPortForwardingSessionToRemoteHost --parameters host=${api},portNumber=${PORT},localPortNumber=${PORT} >/dev/null & ` +
        `n=0; until curl -sk -o /dev/null --max-time 2 https://127.0.0.1:${PORT}/livez; do n=$((n+1)); if [ $n -ge 30 ]; then echo 'port ${PORT} not forwarded after 30 s' >&2; break; fi; sleep 1; done; ` +
        `kubectl --kubeconfig admin.conf --server https://127.0.0.1:${PORT} --tls-server-name ${api} get nodes`,
      "Reach the private API without SSH keys: Session Manager port forwarding through the bastion",
    );
  }
}
