/**
 * kubeadm's configuration (kubeadm.k8s.io/v1beta4), as templates: values known at synth time
 * (cluster name, CIDRs) are written in; values only the node knows are `__NAME__` placeholders
 * that lib.sh `render` fills in at boot.
 */
import { PORTS } from "../aws/ports";
import { CRI_SOCKET } from "./container-runtime";
import { kubeletExtraArgs } from "./kubelet";
import { BootstrapSettings } from "./settings";
import { yamlDocs } from "./yaml-text";
import { auditApiServerArgs, auditApiServerVolumes } from "./audit";

const KUBEADM_API = "kubeadm.k8s.io/v1beta4";

function nodeRegistration() {
  return {
    // The AWS cloud controller requires the node name to be the EC2 private DNS name.
    name: "__NODE_NAME__",
    criSocket: CRI_SOCKET,
    kubeletExtraArgs: kubeletExtraArgs(),
  };
}

/** InitConfiguration + ClusterConfiguration for the first control-plane node. */
export function kubeadmInitTemplate(s: BootstrapSettings): string {
  return yamlDocs(
    [
      {
        apiVersion: KUBEADM_API,
        kind: "InitConfiguration",
        certificateKey: "__CERTIFICATE_KEY__",
        localAPIEndpoint: { advertiseAddress: "__NODE_IP__", bindPort: PORTS.kubeApiserver },
        nodeRegistration: nodeRegistration(),
        // The API is reached through the NLB, whose first health checks take a while.
        timeouts: { controlPlaneComponentHealthCheck: "10m0s", kubernetesAPICall: "5m0s" },
      },
      {
        apiVersion: KUBEADM_API,
        kind: "ClusterConfiguration",
        clusterName: s.clusterName,
        kubernetesVersion: "__KUBERNETES_VERSION__",
        controlPlaneEndpoint: `__API_ENDPOINT__:${PORTS.kubeApiserver}`,
        networking: { podSubnet: s.podCidr, serviceSubnet: s.serviceCidr },
        apiServer: {
          certSANs: ["__API_ENDPOINT__"],
          // The audit log (audit.ts): kept in the cluster configuration, so every joining node and
          // every `kubeadm upgrade` writes the API server's manifest with it.
          extraArgs: auditApiServerArgs(),
          extraVolumes: auditApiServerVolumes(),
        },
        // Pods take VPC addresses from the VPC CNI; per-node pod CIDRs would only run out.
        controllerManager: { extraArgs: [{ name: "allocate-node-cidrs", value: "false" }] },
      },
    ],
    true,
  );
}

/** JoinConfiguration; with a controlPlane section for control-plane roles. */
export function kubeadmJoinTemplate(s: BootstrapSettings): string {
  const localAPIEndpoint = { advertiseAddress: "__NODE_IP__", bindPort: PORTS.kubeApiserver };
  const controlPlane =
    s.role === "worker" ? {} : { controlPlane: { certificateKey: "__CERTIFICATE_KEY__", localAPIEndpoint } };
  return yamlDocs(
    [
      {
        apiVersion: KUBEADM_API,
        kind: "JoinConfiguration",
        discovery: {
          bootstrapToken: {
            apiServerEndpoint: `__API_ENDPOINT__:${PORTS.kubeApiserver}`,
            token: "__JOIN_TOKEN__",
            caCertHashes: ["__CA_CERT_HASH__"],
          },
        },
        nodeRegistration: nodeRegistration(),
        ...controlPlane,
        timeouts: {
          discovery: "10m0s",
          tlsBootstrap: "10m0s",
          // etcd admits one learner at a time (its max learners is 1) and refuses a new member while
          // a voting member is unreachable; kubeadm retries its member add and promotion for this
          // long, while another joining node's learner catches up or the prune timer removes the
          // member of a gone instance. kubeadm's default is 2 minutes.
          ...(s.role === "worker" ? {} : { etcdAPICall: "10m0s" }),
        },
      },
    ],
    true,
  );
}
