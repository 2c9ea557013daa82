/**
 * The kubelet: the flags kubeadm passes it (kubeletExtraArgs, the same on every role). The
 * credential provider configuration it reads, the kernel modules and the sysctls it needs do not
 * depend on the configuration: they are files in the repository,
 * src/bootstrap/files/etc/kubernetes/image-credential-provider-config.yaml (read by
 * src/bootstrap/image-pulls.ts), src/bootstrap/files/etc/modules-load.d/ and
 * src/bootstrap/files/etc/sysctl.d/.
 */
import { CREDENTIAL_PROVIDER_BIN_DIR, CREDENTIAL_PROVIDER_CONFIG_PATH } from "./image-pulls";

/** The node label whose value is the instance's purchase option (spot, on-demand), from IMDS at boot. */
export const LIFECYCLE_LABEL = "node.kubernetes.io/lifecycle";

/** kubeadm's nodeRegistration.kubeletExtraArgs; `__NAME__` values are filled in at boot. */
export function kubeletExtraArgs(): { name: string; value: string }[] {
  return [
    { name: "cloud-provider", value: "external" },
    // The primary address, not one of the ENIs the VPC CNI adds for pods.
    { name: "node-ip", value: "__NODE_IP__" },
    // Allowed for kubelets by NodeRestriction; the VPC CNI picks the ENIConfig by the zone label,
    // so it is there before the cloud controller initialises the node. The lifecycle label is
    // IMDS's instance-life-cycle (spot or on-demand: a mixed group holds both), in the
    // node.kubernetes.io namespace NodeRestriction leaves to kubelets.
    { name: "node-labels", value: `topology.kubernetes.io/zone=__NODE_ZONE__,${LIFECYCLE_LABEL}=__NODE_LIFECYCLE__` },
    // Pods that can get an address from the VPC CNI (custom networking), computed at boot from
    // the instance type; kubelet's default of 110 would leave pods without an address.
    { name: "max-pods", value: "__MAX_PODS__" },
    // Private ECR images (the VPC CNI's) pull with credentials from AWS's credential provider.
    { name: "image-credential-provider-config", value: CREDENTIAL_PROVIDER_CONFIG_PATH },
    { name: "image-credential-provider-bin-dir", value: CREDENTIAL_PROVIDER_BIN_DIR },
  ];
}
