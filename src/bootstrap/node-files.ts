/**
 * The configuration files a node receives, built as data and serialized here. Values known at
 * synth time (cluster name, CIDRs, versions, SSM parameter names) are written in; values only the
 * node can know are `__NAME__` placeholders that the scripts fill at boot (lib.sh `render`), with
 * names the scripts list explicitly.
 */
import { stringify } from "yaml";
import { VPC_CNI, CLOUD_CONTROLLER_MANAGER_IMAGE, ADDON_VERSIONS } from "./versions";

export type NodeRole = "control-plane-init" | "control-plane-join" | "worker";

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
export const ADDONS_DIR = `${CONFIG_DIR}/addons`;

/** Names of the SSM parameters under a prefix (see the README of the bootstrap). */
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
  } as const;
}

const YAML_TEXT = { lineWidth: 0, blockQuote: "literal" } as const;
/** Templates quote every string so that a filled-in value can never change type. */
const YAML_TEMPLATE = { ...YAML_TEXT, defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" } as const;

function yamlDocs(docs: readonly object[], template = false): string {
  return docs.map((d) => stringify(d, template ? YAML_TEMPLATE : YAML_TEXT)).join("---\n");
}

function iniText(sections: Readonly<Record<string, Readonly<Record<string, string>>>>, comment?: string, separator = "="): string {
  const head = comment ? `# ${comment}\n` : "";
  return (
    head +
    Object.entries(sections)
      .map(([name, keys]) => `[${name}]\n${Object.entries(keys).map(([k, v]) => `${k}${separator}${v}`).join("\n")}\n`)
      .join("\n")
  );
}

/** The env file every script sources: names only (cluster, region, role, versions, SSM names); add-on pins only for the init role. */
export function envFile(s: BootstrapSettings, ccmTag: string): string {
  const p = ssmParameterNames(s.ssmPrefix);
  const vars: Record<string, string> = {
    CLUSTER_NAME: s.clusterName,
    AWS_REGION: s.region,
    NODE_ROLE: s.role,
    K8S_MINOR: s.kubernetesMinor,
    SSM_PREFIX: s.ssmPrefix,
    SSM_API_ENDPOINT: p.apiEndpoint,
    SSM_PODS_SUBNETS: p.podsSubnets,
    SSM_PODS_SECURITY_GROUP: p.podsSecurityGroup,
    SSM_LB_SECURITY_GROUP: p.loadBalancerSecurityGroup,
    SSM_JOIN_TOKEN: p.joinToken,
    SSM_JOIN_CERTIFICATE_KEY: p.joinCertificateKey,
    SSM_JOIN_CA_CERT_HASH: p.joinCaCertHash,
    SSM_JOIN_API_ENDPOINT: p.joinApiEndpoint,
    VPC_CNI_ECR_REGION: VPC_CNI.ecrRegion,
    VPC_CNI_IMAGES: VPC_CNI.images.join(","),
    // For k8s-addons, which only the first control-plane node runs.
    ...(s.role === "control-plane-init"
      ? { VPC_CNI_VERSION: ADDON_VERSIONS.vpcCni, VPC_CNI_MANIFEST_URL: VPC_CNI.manifestUrl, CCM_IMAGE: `${CLOUD_CONTROLLER_MANAGER_IMAGE}:${ccmTag}` }
      : {}),
    ...(s.etcdBackup && s.role !== "worker" ? { ETCD_BACKUP_BUCKET: s.etcdBackup.bucket, ETCD_BACKUP_PREFIX: s.etcdBackup.prefix } : {}),
  };
  for (const [k, v] of Object.entries(vars)) {
    if (!/^[A-Za-z0-9._:/=,@+-]+$/.test(v)) throw new Error(`bootstrap: ${k} = ${JSON.stringify(v)} has characters a shell env file cannot hold unquoted`);
  }
  return `# Names only, no secrets. Sourced by the k8s-* scripts.\n${Object.entries(vars).map(([k, v]) => `${k}=${v}`).join("\n")}\n`;
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
        localAPIEndpoint: { advertiseAddress: "__NODE_IP__", bindPort: 6443 },
        nodeRegistration: nodeRegistration(),
        // The API is reached through the NLB, whose first health checks take a while.
        timeouts: { controlPlaneComponentHealthCheck: "10m0s", kubernetesAPICall: "5m0s" },
      },
      {
        apiVersion: KUBEADM_API,
        kind: "ClusterConfiguration",
        clusterName: s.clusterName,
        kubernetesVersion: "__KUBERNETES_VERSION__",
        controlPlaneEndpoint: "__API_ENDPOINT__:6443",
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
      : { controlPlane: { certificateKey: "__CERTIFICATE_KEY__", localAPIEndpoint: { advertiseAddress: "__NODE_IP__", bindPort: 6443 } } };
  return yamlDocs(
    [
      {
        apiVersion: KUBEADM_API,
        kind: "JoinConfiguration",
        discovery: {
          bootstrapToken: {
            apiServerEndpoint: "__API_ENDPOINT__:6443",
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

/** Kustomization that applies the downloaded VPC CNI manifest with custom networking switched on. */
export function vpcCniKustomization(s: BootstrapSettings): { kustomization: string; patch: string } {
  const patch = {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "aws-node", namespace: "kube-system" },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: "aws-node",
              env: [
                // The CNI tags the ENIs it creates and manages with cluster.k8s.amazonaws.com/name
                // only when this is set, and the node IAM policy allows only ENIs with that tag.
                { name: "CLUSTER_NAME", value: s.clusterName },
                // Pods get addresses from the ENIConfig of the node's zone (pods subnet + SG).
                { name: "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", value: "true" },
                { name: "ENI_CONFIG_LABEL_DEF", value: "topology.kubernetes.io/zone" },
                // Pod egress is translated by the NAT gateway on the pods route table.
                { name: "AWS_VPC_K8S_CNI_EXTERNALSNAT", value: "true" },
                // Subnets come from the ENIConfigs only, never from subnet tags.
                { name: "ENABLE_SUBNET_DISCOVERY", value: "false" },
              ],
            },
          ],
        },
      },
    },
  };
  return {
    kustomization: yamlDocs([
      {
        apiVersion: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources: ["aws-k8s-cni.yaml"],
        patches: [{ path: "aws-node-env.yaml" }],
      },
    ]),
    patch: yamlDocs([patch]),
  };
}

export function eniConfigTemplate(): string {
  return yamlDocs(
    [
      {
        apiVersion: "crd.k8s.amazonaws.com/v1alpha1",
        kind: "ENIConfig",
        metadata: { name: "__ZONE__" },
        spec: { subnet: "__SUBNET__", securityGroups: ["__PODS_SECURITY_GROUP__"] },
      },
    ],
    true,
  );
}

/** The cloud controller's config: cluster id for its tags, and the security group for the ELBs. */
export function cloudConfigTemplate(s: BootstrapSettings): string {
  return iniText(
    { Global: { KubernetesClusterID: s.clusterName, ElbSecurityGroup: "__LB_SECURITY_GROUP__" } },
    "AWS cloud controller manager configuration (ConfigMap kube-system/aws-cloud-config)",
    " = ",
  );
}

const CCM = "cloud-controller-manager";
const CCM_APP = "aws-cloud-controller-manager";

/** ServiceAccount, RBAC and DaemonSet of the AWS cloud controller manager. */
export function cloudControllerManagerManifest(s: BootstrapSettings, tag: string): string {
  const labels = { "k8s-app": CCM_APP };
  const subject = [{ kind: "ServiceAccount", name: CCM, namespace: "kube-system" }];
  const rule = (resources: string[], verbs: string[], apiGroups = [""]) => ({ apiGroups, resources, verbs });
  return yamlDocs([
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: CCM, namespace: "kube-system" } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: `system:${CCM}` },
      rules: [
        rule(["events"], ["create", "patch", "update"]),
        rule(["nodes"], ["*"]),
        rule(["nodes/status"], ["patch"]),
        rule(["services", "services/status"], ["list", "patch", "update", "watch"]),
        rule(["serviceaccounts"], ["create", "get", "list", "watch"]),
        rule(["serviceaccounts/token"], ["create"]),
        rule(["persistentvolumes"], ["get", "list", "update", "watch"]),
        rule(["endpoints"], ["create", "get", "list", "watch", "update"]),
        rule(["leases"], ["create", "get", "list", "watch", "update"], ["coordination.k8s.io"]),
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `system:${CCM}` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `system:${CCM}` },
      subjects: subject,
    },
    {
      // Without it the controller cannot read the request-header CA and exits at start.
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: `${CCM}:apiserver-authentication-reader`, namespace: "kube-system" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "extension-apiserver-authentication-reader" },
      subjects: subject,
    },
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: CCM_APP, namespace: "kube-system", labels },
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: { type: "RollingUpdate" },
        template: {
          metadata: { labels },
          spec: {
            nodeSelector: { "node-role.kubernetes.io/control-plane": "" },
            tolerations: [
              { key: "node.cloudprovider.kubernetes.io/uninitialized", value: "true", effect: "NoSchedule" },
              { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
              // It initialises nodes, so it must not wait for them to be Ready.
              { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" },
            ],
            priorityClassName: "system-cluster-critical",
            serviceAccountName: CCM,
            hostNetwork: true,
            containers: [
              {
                name: CCM_APP,
                image: `${CLOUD_CONTROLLER_MANAGER_IMAGE}:${tag}`,
                args: [
                  "--v=2",
                  "--cloud-provider=aws",
                  "--cloud-config=/etc/aws/cloud.conf",
                  `--cluster-name=${s.clusterName}`,
                  "--use-service-account-credentials=true",
                  // Pods have VPC addresses: no routes to program.
                  "--configure-cloud-routes=false",
                ],
                resources: { requests: { cpu: "100m" } },
                volumeMounts: [{ name: "cloud-config", mountPath: "/etc/aws", readOnly: true }],
              },
            ],
            volumes: [{ name: "cloud-config", configMap: { name: "aws-cloud-config" } }],
          },
        },
      },
    },
  ]);
}

/** containerd: defaults plus the systemd cgroup driver. Version 2 is read by containerd 1.7 and migrated by 2.x. */
export const CONTAINERD_CONFIG = [
  "# Defaults plus the systemd cgroup driver (the kubelet's default).",
  "version = 2",
  "",
  '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
  '  runtime_type = "io.containerd.runc.v2"',
  "",
  '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
  "  SystemdCgroup = true",
  "",
].join("\n");

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
