/**
 * The configuration files a node receives, built as data and serialized here. Values known at
 * synth time (cluster name, CIDRs, versions, SSM parameter names) are written in; values only the
 * node can know are `__NAME__` placeholders that the scripts fill at boot (lib.sh `render`), with
 * names the scripts list explicitly.
 */
import { stringify } from "yaml";
import { ECR_CREDENTIAL_PROVIDER, KUBERNETES_PATCH, CONTAINERD_SERIES } from "./versions";
import { CREDENTIAL_PROVIDER_BIN_DIR, CREDENTIAL_PROVIDER_CONFIG, CREDENTIAL_PROVIDER_CONFIG_PATH } from "./image-pulls";
import { PORTS } from "../aws/ports";
import { BOOT_FAILURE_METRIC, LIFECYCLE_HOOKS } from "../aws/lifecycle";

/**
 * Every control-plane node gets the same user data: which one runs kubeadm init is decided at boot
 * by the init lock (ssmParameterNames().initLock).
 */
export type NodeRole = "control-plane" | "worker";

export interface BootstrapSettings {
  readonly clusterName: string;
  readonly region: string;
  readonly kubernetesMinor: string;
  readonly role: NodeRole;
  /** All parameters live below it, e.g. "/k8s/k8s-cluster". */
  readonly ssmPrefix: string;
  /** VPC-native pods; kubeadm's networking.podSubnet. */
  readonly podCidr: string;
  readonly serviceCidr: string;
  /**
   * Scheduled etcd snapshots to S3 from control-plane nodes (workers ignore it). Bucket: a plain
   * name known at synth time (not a Terraform token); prefix: key prefix without leading or
   * trailing "/"; onCalendar: a systemd OnCalendar value such as "hourly".
   */
  readonly etcdBackup?: EtcdBackupSettings;
}

export interface EtcdBackupSettings {
  readonly bucket: string;
  readonly prefix: string;
  readonly onCalendar: string;
}

export const CONFIG_DIR = "/etc/k8s-bootstrap";

/** Names of the SSM parameters under a prefix (listed in docs/boot.md). */
export function ssmParameterNames(ssmPrefix: string) {
  return {
    /** String, Terraform: DNS name of the internal NLB in front of the API servers. */
    apiEndpoint: `${ssmPrefix}/api-endpoint`,
    /** String, Terraform: "az=subnet-id,az=subnet-id". */
    podsSubnets: `${ssmPrefix}/pods/subnets`,
    /** String, Terraform: the pods security group id. */
    podsSecurityGroup: `${ssmPrefix}/pods/security-group`,
    /** String, Terraform: the load balancers' security group id. */
    loadBalancerSecurityGroup: `${ssmPrefix}/load-balancer/security-group`,
    /** String, Terraform: the assets bucket that holds the add-on bundles. */
    assetsBucket: `${ssmPrefix}/assets/bucket`,
    /**
     * String, control-plane nodes (after kubeadm init and with every token refresh): the API
     * server's version (e.g. v1.35.3). Joining nodes install this kubelet, never a newer one.
     */
    clusterVersion: `${ssmPrefix}/cluster/kubernetes-version`,
    /** SecureString, first control-plane node and refresh timers. */
    joinToken: `${ssmPrefix}/join/token`,
    /** SecureString, first control-plane node and refresh timers. */
    joinCertificateKey: `${ssmPrefix}/join/certificate-key`,
    /** String, first control-plane node and refresh timers. */
    joinCaCertHash: `${ssmPrefix}/join/ca-cert-hash`,
    /**
     * String, first control-plane node and refresh timers, after the others: the API endpoint the
     * join parameters belong to. Joiners use them only when it equals `apiEndpoint` (the NLB name
     * is new with every deployment; parameters of a destroyed cluster of the same name are stale).
     */
    joinApiEndpoint: `${ssmPrefix}/join/api-endpoint`,
    /**
     * String, control-plane nodes: "<instance-id> <api-endpoint>" of the node that won the election
     * to run kubeadm init, created without overwrite (an atomic create). A node deletes it only when
     * it names another endpoint, or an instance that no longer exists while no cluster was created.
     */
    initLock: `${ssmPrefix}/init/lock`,
  } as const;
}

const YAML_TEXT = { lineWidth: 0, blockQuote: "literal" } as const;
/** Templates quote every string so that a filled-in value can never change type. */
const YAML_TEMPLATE = { ...YAML_TEXT, defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" } as const;

/** YAML documents joined by ---; templates quote every string. Node files and the add-on bundle alike. */
export function yamlDocs(docs: readonly object[], template = false): string {
  return docs.map((d) => stringify(d, template ? YAML_TEMPLATE : YAML_TEXT)).join("---\n");
}

export function iniText(sections: Readonly<Record<string, Readonly<Record<string, string>>>>, comment?: string, separator = "="): string {
  const head = comment ? `# ${comment}\n` : "";
  return (
    head +
    Object.entries(sections)
      .map(([name, keys]) => `[${name}]\n${Object.entries(keys).map(([k, v]) => `${k}${separator}${v}`).join("\n")}\n`)
      .join("\n")
  );
}

/** What the env file needs beyond the settings: the add-on bundle's digest and host-network pod count. */
export interface NodeFacts {
  /** SHA-256 of the cluster bundle's SHA256SUMS (control-plane roles). */
  readonly bundleDigest?: string;
  /** Host-network pods of the role (kubeadm's and the add-ons' DaemonSets): max-pods counts them. */
  readonly hostNetworkPods: number;
}

/** The env file every script sources: names, versions and public digests only, no secrets. */
export function envFile(s: BootstrapSettings, facts: NodeFacts): string {
  const p = ssmParameterNames(s.ssmPrefix);
  const patch = KUBERNETES_PATCH[s.kubernetesMinor];
  if (!patch) throw new Error(`bootstrap: no pinned Kubernetes patch release for ${s.kubernetesMinor}`);
  const vars: Record<string, string> = {
    CLUSTER_NAME: s.clusterName,
    AWS_REGION: s.region,
    NODE_ROLE: s.role,
    K8S_MINOR: s.kubernetesMinor,
    // The pinned patch release; a joining node installs the cluster's own version instead (SSM_CLUSTER_VERSION).
    K8S_VERSION: patch,
    CONTAINERD_SERIES,
    SSM_PREFIX: s.ssmPrefix,
    SSM_API_ENDPOINT: p.apiEndpoint,
    SSM_PODS_SUBNETS: p.podsSubnets,
    SSM_PODS_SECURITY_GROUP: p.podsSecurityGroup,
    SSM_LB_SECURITY_GROUP: p.loadBalancerSecurityGroup,
    SSM_ASSETS_BUCKET: p.assetsBucket,
    SSM_CLUSTER_VERSION: p.clusterVersion,
    SSM_JOIN_TOKEN: p.joinToken,
    SSM_JOIN_CERTIFICATE_KEY: p.joinCertificateKey,
    SSM_JOIN_CA_CERT_HASH: p.joinCaCertHash,
    SSM_JOIN_API_ENDPOINT: p.joinApiEndpoint,
    SSM_INIT_LOCK: p.initLock,
    // The auto scaling lifecycle the nodes take part in (src/aws/lifecycle.ts, shared with Terraform).
    LIFECYCLE_LAUNCH_HOOK: LIFECYCLE_HOOKS.launch,
    LIFECYCLE_TERMINATE_HOOK: LIFECYCLE_HOOKS.terminate,
    BOOT_FAILURE_NAMESPACE: BOOT_FAILURE_METRIC.namespace,
    BOOT_FAILURE_METRIC: BOOT_FAILURE_METRIC.name,
    HOST_NETWORK_PODS: String(facts.hostNetworkPods),
    ECR_CREDENTIAL_PROVIDER_AMD64_URL: ECR_CREDENTIAL_PROVIDER.url("amd64"),
    ECR_CREDENTIAL_PROVIDER_AMD64_SHA256: ECR_CREDENTIAL_PROVIDER.sha256.amd64,
    ECR_CREDENTIAL_PROVIDER_ARM64_URL: ECR_CREDENTIAL_PROVIDER.url("arm64"),
    ECR_CREDENTIAL_PROVIDER_ARM64_SHA256: ECR_CREDENTIAL_PROVIDER.sha256.arm64,
    ECR_CREDENTIAL_PROVIDER_BIN: `${CREDENTIAL_PROVIDER_BIN_DIR}/${ECR_CREDENTIAL_PROVIDER.name}`,
    ...(facts.bundleDigest ? { BUNDLE_DIGEST: facts.bundleDigest } : {}),
    ...(s.etcdBackup && s.role !== "worker" ? { ETCD_BACKUP_BUCKET: s.etcdBackup.bucket, ETCD_BACKUP_PREFIX: s.etcdBackup.prefix } : {}),
  };
  for (const [k, v] of Object.entries(vars)) {
    if (!/^[A-Za-z0-9._:/=,@+-]+$/.test(v)) throw new Error(`bootstrap: ${k} = ${JSON.stringify(v)} has characters a shell env file cannot hold unquoted`);
  }
  return `# Names, versions and public digests only, no secrets. Sourced by the k8s-* scripts.\n${Object.entries(vars).map(([k, v]) => `${k}=${v}`).join("\n")}\n`;
}

const CRI_SOCKET = "unix:///run/containerd/containerd.sock";

function nodeRegistration() {
  return {
    // The AWS cloud controller requires the node name to be the EC2 private DNS name.
    name: "__NODE_NAME__",
    criSocket: CRI_SOCKET,
    kubeletExtraArgs: [
      { name: "cloud-provider", value: "external" },
      // The primary address, not one of the ENIs the VPC CNI adds for pods.
      { name: "node-ip", value: "__NODE_IP__" },
      // Allowed for kubelets by NodeRestriction; the VPC CNI picks the ENIConfig by this label,
      // so it is there before the cloud controller initialises the node.
      { name: "node-labels", value: "topology.kubernetes.io/zone=__NODE_ZONE__" },
      // Pods that can get an address from the VPC CNI (custom networking), computed at boot from
      // the instance type; kubelet's default of 110 would leave pods without an address.
      { name: "max-pods", value: "__MAX_PODS__" },
      // Private ECR images (the VPC CNI's) pull with credentials from AWS's credential provider.
      { name: "image-credential-provider-config", value: CREDENTIAL_PROVIDER_CONFIG_PATH },
      { name: "image-credential-provider-bin-dir", value: CREDENTIAL_PROVIDER_BIN_DIR },
    ],
  };
}

const API = "v1beta4";
const KUBEADM_API = `kubeadm.k8s.io/${API}`;

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
        apiServer: { certSANs: ["__API_ENDPOINT__"] },
        // Pods take VPC addresses from the VPC CNI; per-node pod CIDRs would only run out.
        controllerManager: { extraArgs: [{ name: "allocate-node-cidrs", value: "false" }] },
      },
    ],
    true,
  );
}

/** JoinConfiguration; with a controlPlane section for control-plane roles. */
export function kubeadmJoinTemplate(s: BootstrapSettings): string {
  const controlPlane =
    s.role === "worker"
      ? {}
      : { controlPlane: { certificateKey: "__CERTIFICATE_KEY__", localAPIEndpoint: { advertiseAddress: "__NODE_IP__", bindPort: PORTS.kubeApiserver } } };
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
        timeouts: { discovery: "10m0s", tlsBootstrap: "10m0s" },
      },
    ],
    true,
  );
}

/**
 * containerd 2.x, configuration version 3 (containerd docs/cri/config.md at v2.2): the runc
 * runtime with the systemd cgroup driver (the kubelet's default), the CNI plugin and config
 * folders the kubelet's kubernetes-cni package and the VPC CNI use, the sandbox image the installed
 * kubeadm expects (filled in at boot from `kubeadm config images list`), and registry host
 * configuration from certs.d. containerd 1.7 would refuse or ignore a version 3 file, so the
 * node installs containerd from the pinned series and checks it before writing this.
 */
export const CONTAINERD_CONFIG_TEMPLATE = [
  "# containerd 2.x (configuration version 3): systemd cgroups, kubeadm's sandbox image.",
  "version = 3",
  "",
  "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]",
  "  runtime_type = 'io.containerd.runc.v2'",
  "",
  "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]",
  "  SystemdCgroup = true",
  "",
  "# Where kubernetes-cni and the VPC CNI's init container put the plugins (a distribution build may default elsewhere).",
  "[plugins.'io.containerd.cri.v1.runtime'.cni]",
  "  bin_dirs = ['/opt/cni/bin']",
  "  conf_dir = '/etc/cni/net.d'",
  "",
  "[plugins.'io.containerd.cri.v1.images'.pinned_images]",
  "  sandbox = '__SANDBOX_IMAGE__'",
  "",
  "[plugins.'io.containerd.cri.v1.images'.registry]",
  "  config_path = '/etc/containerd/certs.d'",
  "",
].join("\n");

/** apt pin of containerd's major (Ubuntu replaces builds in noble-updates, so a major, not a build). */
export function containerdAptPreferences(): string {
  return `Package: containerd\nPin: version ${CONTAINERD_SERIES}.*\nPin-Priority: 1001\n`;
}

/**
 * systemd-networkd must leave the VPC CNI's routes and per-pod routing policy rules alone: Ubuntu
 * 24.04's networkd removes foreign rules on every restart (aws/amazon-vpc-cni-k8s#3309). kops
 * writes the same two settings (nodeup/pkg/model/networking/eni_networking.go).
 */
export const NETWORKD_FOREIGN_ROUTES = iniText(
  { Network: { ManageForeignRoutes: "no", ManageForeignRoutingPolicyRules: "no" } },
  "Routes and rules of the VPC CNI are not networkd's (aws/amazon-vpc-cni-k8s#3309).",
);
export const NETWORKD_CONF_PATH = "/etc/systemd/networkd.conf.d/40-k8s-foreign-routes.conf";

/**
 * cloud-init renders the network again on hotplug events (the ENIs the VPC CNI attaches); only a
 * new instance may (kops: nodeup/pkg/model/networking/eni_networking.go, kubernetes/kops#17881).
 */
export const CLOUD_INIT_NETWORK_UPDATES = `# The VPC CNI attaches ENIs; cloud-init must not re-render the network for them.\n${stringify({ updates: { network: { when: ["boot-new-instance"] } } })}`;
export const CLOUD_INIT_NETWORK_UPDATES_PATH = "/etc/cloud/cloud.cfg.d/99-k8s-network-updates.cfg";

export const CREDENTIAL_PROVIDER_CONFIG_TEXT = yamlDocs([CREDENTIAL_PROVIDER_CONFIG]);

export const KERNEL_MODULES = "overlay\nbr_netfilter\n";

export const SYSCTLS = Object.entries({
  "net.bridge.bridge-nf-call-iptables": "1",
  "net.bridge.bridge-nf-call-ip6tables": "1",
  "net.ipv4.ip_forward": "1",
})
  .map(([k, v]) => `${k} = ${v}\n`)
  .join("");

export const CRICTL_CONFIG = yamlDocs([{ "runtime-endpoint": CRI_SOCKET, "image-endpoint": CRI_SOCKET }]);

/** systemd units of the join-parameter refresh: one service template, one timer per kind. */
export function joinRefreshUnits(scriptPath: string): Record<string, string> {
  const timer = (what: string, every: string, after: string) =>
    iniText({
      Unit: { Description: `Refresh the kubeadm join ${what} in SSM every ${every}` },
      Timer: { OnBootSec: after, OnUnitActiveSec: every, RandomizedDelaySec: "5min" },
      Install: { WantedBy: "timers.target" },
    });
  return {
    "/etc/systemd/system/k8s-join-refresh@.service": iniText({
      Unit: {
        Description: "Refresh the kubeadm join %i in SSM",
        Wants: "network-online.target",
        After: "network-online.target",
        ConditionPathExists: "/etc/kubernetes/admin.conf",
      },
      Service: { Type: "oneshot", ExecStart: `${scriptPath} %i` },
    }),
    // A bootstrap token lives 24 h: a fresh one every 12 h.
    "/etc/systemd/system/k8s-join-refresh@token.timer": timer("token", "12h", "30min"),
    // kubeadm deletes uploaded certificates after 2 h: upload again every hour.
    "/etc/systemd/system/k8s-join-refresh@certs.timer": timer("certs", "1h", "10min"),
  };
}

/**
 * systemd units of the etcd snapshots: a oneshot service and its timer. The random delay keeps
 * the control-plane nodes from snapshotting in the same second; Persistent catches up on a run
 * missed while the node was off. The service is skipped while etcd's manifest is moved away (as
 * during a restore).
 */
export function etcdBackupUnits(scriptPath: string, b: EtcdBackupSettings): Record<string, string> {
  return {
    "/etc/systemd/system/k8s-etcd-backup.service": iniText({
      Unit: {
        Description: `Snapshot the local etcd member to s3://${b.bucket}/${b.prefix}/`,
        Wants: "network-online.target",
        After: "network-online.target containerd.service",
        ConditionPathExists: "/etc/kubernetes/manifests/etcd.yaml",
      },
      // Snapshot (at most 15 min) plus upload with retries.
      Service: { Type: "oneshot", ExecStart: scriptPath, TimeoutStartSec: "45min" },
    }),
    "/etc/systemd/system/k8s-etcd-backup.timer": iniText({
      Unit: { Description: `Snapshot etcd to S3 (${b.onCalendar})` },
      Timer: { OnCalendar: b.onCalendar, RandomizedDelaySec: "5min", Persistent: "true" },
      Install: { WantedBy: "timers.target" },
    }),
  };
}
