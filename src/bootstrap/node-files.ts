/**
 * Every file a node receives, in the order it receives them: the one index that the user data
 * (user-data.ts), the cluster bundle's node files (src/addons/bundle.ts) and the boot listing that
 * synth writes per role (cdktf.out/stacks/cluster/boot-<role>.md, boot-listing.ts) are made from.
 * Each entry says where its content comes from in the repository: a file (src/bootstrap/files/,
 * src/bootstrap/scripts/) or the module that generates it from the settings, by what it configures:
 * kubeadm.ts, container-runtime.ts, kubelet.ts, timers.ts, and the env file here. Values only the
 * node can know are `__NAME__` placeholders that the scripts fill at boot (lib.sh `render`).
 */
import { ECR_CREDENTIAL_PROVIDER, KUBERNETES_PATCH, CONTAINERD_SERIES } from "./versions";
import { CREDENTIAL_PROVIDER_BIN_DIR, CREDENTIAL_PROVIDER_CONFIG_PATH } from "./image-pulls";
import { BootstrapSettings } from "./settings";
import { BOOTSTRAP_SCRIPTS, SCRIPT_PATHS, SCRIPT_SOURCE_FILES } from "./scripts";
import { STATIC_FILES_FOLDER, staticFileText } from "./static-files";
import { containerdAptPreferences } from "./container-runtime";
import { kubeadmInitTemplate, kubeadmJoinTemplate } from "./kubeadm";
import { AUDIT_PATHS } from "./audit";
import { ENCRYPTION_PATHS, encryptionConfigTemplate } from "./encryption";
import { etcdBackupUnits } from "./timers";
import { KUBERNETES_VERSIONS_PATH, kubernetesVersionsFile } from "./maintenance";
import { SsmParameter, ssmParameterNames } from "../aws/ssm-parameters";
import { clusterSecretsKeyAlias } from "../aws/cluster-secrets-key";
import { PORTS } from "../aws/ports";
import { issuerUrl } from "../aws/workload-identity";
import { WORKER_PARAMETERS } from "../aws/iam/node-access";
import {
  BOOT_DEADLINE_SECONDS,
  BOOT_FAILURE_METRIC,
  LAUNCH_HOOK_TIMEOUT_SECONDS,
  LIFECYCLE_HOOKS,
  TERMINATE_HOOK_TIMEOUT_SECONDS,
} from "../aws/lifecycle";

export const CONFIG_DIR = "/etc/k8s-bootstrap";

export { ssmParameterNames };

/** What the env file needs beyond the settings: the add-on bundle's digest and host-network pod count. */
export interface NodeFacts {
  /** SHA-256 of the cluster bundle's SHA256SUMS (control-plane roles). */
  readonly bundleDigest?: string;
  /** Host-network pods of the role (kubeadm's and the add-ons' DaemonSets): max-pods counts them. */
  readonly hostNetworkPods: number;
}

/** The env variable that names each SSM parameter on the nodes. */
const SSM_ENV: Readonly<Record<SsmParameter, string>> = {
  apiEndpoint: "SSM_API_ENDPOINT",
  podsSubnets: "SSM_PODS_SUBNETS",
  podsSecurityGroup: "SSM_PODS_SECURITY_GROUP",
  loadBalancerSecurityGroup: "SSM_LB_SECURITY_GROUP",
  apiTargetGroup: "SSM_API_TARGET_GROUP",
  assetsBucket: "SSM_ASSETS_BUCKET",
  clusterVersion: "SSM_CLUSTER_VERSION",
  joinToken: "SSM_JOIN_TOKEN",
  joinCertificateKey: "SSM_JOIN_CERTIFICATE_KEY",
  joinCaCertHash: "SSM_JOIN_CA_CERT_HASH",
  joinApiEndpoint: "SSM_JOIN_API_ENDPOINT",
  initLock: "SSM_INIT_LOCK",
  nodeTerminationQueueUrl: "SSM_NODE_TERMINATION_QUEUE_URL",
  encryptionKeys: "SSM_ENCRYPTION_KEYS",
  serviceAccountKey: "SSM_SERVICE_ACCOUNT_KEY",
  ebsCsiControllerRoleArn: "SSM_EBS_CSI_ROLE_ARN",
};

/**
 * The SSM parameters a role's env file names: a worker only those its role may read
 * (WORKER_PARAMETERS, src/aws/iam/node-access.ts), a control-plane node all of them.
 */
function ssmEnv(s: BootstrapSettings): Record<string, string> {
  const names = ssmParameterNames(s.ssmPrefix);
  const keys = s.role === "worker" ? WORKER_PARAMETERS : (Object.keys(SSM_ENV) as SsmParameter[]);
  return Object.fromEntries(keys.map((k) => [SSM_ENV[k], names[k]]));
}

/** The env file every script sources: names, versions and public digests only, no secrets. */
export function envFile(s: BootstrapSettings, facts: NodeFacts): string {
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
    // The ports the scripts talk to on the node itself (src/aws/ports.ts).
    API_SERVER_PORT: String(PORTS.kubeApiserver),
    ETCD_CLIENT_PORT: String(PORTS.etcd.from),
    ...ssmEnv(s),
    // The auto scaling lifecycle the nodes take part in (src/aws/lifecycle.ts, shared with Terraform);
    // workers leave the terminate hook to the termination handler.
    LIFECYCLE_LAUNCH_HOOK: LIFECYCLE_HOOKS.launch,
    LIFECYCLE_LAUNCH_TIMEOUT: String(LAUNCH_HOOK_TIMEOUT_SECONDS),
    BOOT_DEADLINE: String(BOOT_DEADLINE_SECONDS),
    ...(s.role === "worker"
      ? {}
      : {
          LIFECYCLE_TERMINATE_HOOK: LIFECYCLE_HOOKS.terminate,
          LIFECYCLE_TERMINATE_TIMEOUT: String(TERMINATE_HOOK_TIMEOUT_SECONDS),
        }),
    BOOT_FAILURE_NAMESPACE: BOOT_FAILURE_METRIC.namespace,
    BOOT_FAILURE_METRIC: BOOT_FAILURE_METRIC.name,
    HOST_NETWORK_PODS: String(facts.hostNetworkPods),
    ECR_CREDENTIAL_PROVIDER_AMD64_URL: ECR_CREDENTIAL_PROVIDER.url("amd64"),
    ECR_CREDENTIAL_PROVIDER_AMD64_SHA256: ECR_CREDENTIAL_PROVIDER.sha256.amd64,
    ECR_CREDENTIAL_PROVIDER_ARM64_URL: ECR_CREDENTIAL_PROVIDER.url("arm64"),
    ECR_CREDENTIAL_PROVIDER_ARM64_SHA256: ECR_CREDENTIAL_PROVIDER.sha256.arm64,
    ECR_CREDENTIAL_PROVIDER_BIN: `${CREDENTIAL_PROVIDER_BIN_DIR}/${ECR_CREDENTIAL_PROVIDER.name}`,
    ...(facts.bundleDigest ? { BUNDLE_DIGEST: facts.bundleDigest } : {}),
    // Workload identity: where a control-plane node publishes the issuer's documents (k8s-oidc-publish).
    // The KMS key the cluster secrets are created with (k8s-cluster-secrets, put-parameter --key-id).
    ...(s.role === "worker" ? {} : { CLUSTER_SECRETS_KEY: clusterSecretsKeyAlias(s.clusterName) }),
    ...(s.workloadIdentity && s.role !== "worker"
      ? { OIDC_BUCKET: s.workloadIdentity.bucket, OIDC_ISSUER: issuerUrl(s.workloadIdentity.bucket, s.region) }
      : {}),
    ...(s.etcdBackup && s.role !== "worker"
      ? { ETCD_BACKUP_BUCKET: s.etcdBackup.bucket, ETCD_BACKUP_PREFIX: s.etcdBackup.prefix }
      : {}),
  };
  for (const [k, v] of Object.entries(vars)) {
    if (!/^[A-Za-z0-9._:/=,@+-]+$/.test(v))
      throw new Error(`bootstrap: ${k} = ${JSON.stringify(v)} has characters a shell env file cannot hold unquoted`);
  }
  return `# Names, versions and public digests only, no secrets. Sourced by the k8s-* scripts.\n${Object.entries(vars)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n")}\n`;
}

/** In the user data, or (control-plane nodes) installed from the cluster bundle at boot. */
export type Delivery = "user data" | "bundle";

export interface NodeFile {
  readonly path: string;
  /** Octal mode, e.g. "0644". */
  readonly permissions: string;
  readonly content: string;
  /** Where the content comes from: a file of the repository, or "<module> <export>" that generates it. */
  readonly source: string;
  readonly delivery: Delivery;
}

/** Content generated by `name`, exported by the module `module` of src/bootstrap/. */
function generated(path: string, content: string, module: string, name: string): NodeFile {
  return { path, permissions: "0644", content, source: `src/bootstrap/${module} ${name}`, delivery: "user data" };
}

/** A file kept at src/bootstrap/files/<path>. */
function staticFile(path: string, permissions = "0644"): NodeFile {
  const source = `${STATIC_FILES_FOLDER}${path}`;
  return { path, permissions, content: staticFileText(path), source, delivery: "user data" };
}

function script(name: keyof typeof SCRIPT_PATHS): NodeFile {
  const path = SCRIPT_PATHS[name];
  const source = `src/bootstrap/scripts/${SCRIPT_SOURCE_FILES[name]}`;
  return { path, permissions: "0755", content: BOOTSTRAP_SCRIPTS[path], source, delivery: "user data" };
}

const viaBundle = (f: NodeFile): NodeFile => ({ ...f, delivery: "bundle" });

/**
 * The files of one role, in order. Workers get no add-ons, no init configuration, no refresh or
 * backup timers; what only control-plane nodes need travels in the bundle, so that user data stays
 * within its budget.
 */
export function nodeFiles(s: BootstrapSettings, facts: NodeFacts): NodeFile[] {
  const files: NodeFile[] = [
    generated(`${CONFIG_DIR}/env`, envFile(s, facts), "node-files.ts", "envFile"),
    script("lib"),
    script("prepare"),
    script("bootstrap"),
    // After the bootstrap: the launch hook once Ready, or a failed boot reported and replaced; and,
    // from the start of the boot, its watch: heartbeats for the launch hook, the boot's deadline.
    script("lifecycle"),
    staticFile("/etc/systemd/system/k8s-boot-watch.service"),
    // Control-plane nodes: the cluster bundle, fetched, checked and installed (everything else they
    // need comes in it).
    ...(s.role === "worker" ? [] : [script("bundle")]),
    // Container runtime: containerd's configuration and its apt pin.
    staticFile(`${CONFIG_DIR}/containerd.toml.tmpl`),
    generated(
      "/etc/apt/preferences.d/k8s-containerd",
      containerdAptPreferences(),
      "container-runtime.ts",
      "containerdAptPreferences",
    ),
    // Networking. systemd-networkd must leave the VPC CNI's routes and per-pod routing policy rules
    // alone: Ubuntu 24.04's networkd removes foreign rules on every restart
    // (aws/amazon-vpc-cni-k8s#3309); kops writes the same two settings
    // (nodeup/pkg/model/networking/eni_networking.go).
    staticFile("/etc/systemd/networkd.conf.d/40-k8s-foreign-routes.conf"),
    // cloud-init renders the network again on hotplug events (the ENIs the VPC CNI attaches); only a
    // new instance may (kops: the same eni_networking.go, kubernetes/kops#17881).
    staticFile("/etc/cloud/cloud.cfg.d/99-k8s-network-updates.cfg"),
    // The kubelet: the credential provider for private ECR, the kernel modules and sysctls it needs.
    staticFile(CREDENTIAL_PROVIDER_CONFIG_PATH),
    staticFile("/etc/modules-load.d/k8s.conf"),
    staticFile("/etc/sysctl.d/99-k8s.conf"),
    // crictl, which kubeadm's preflight runs, talks to containerd's socket.
    staticFile("/etc/crictl.yaml"),
  ];
  // kubeadm: the join configuration; control-plane nodes get theirs, and the init configuration,
  // in the bundle.
  const join = generated(
    `${CONFIG_DIR}/kubeadm-join.yaml.tmpl`,
    kubeadmJoinTemplate(s),
    "kubeadm.ts",
    "kubeadmJoinTemplate",
  );
  if (s.role === "worker") files.push(join);
  if (s.role !== "worker") {
    const backup = s.etcdBackup;
    const bundled: NodeFile[] = [
      script("joinRefresh"),
      // Add-ons: the first control-plane node applies the bundle's manifests (src/addons/).
      script("addons"),
      // Timers. The join parameters' refresh: a new bootstrap token every 12 h (one lives 24 h), the
      // certificates uploaded again every hour (kubeadm deletes them after 2 h).
      staticFile("/etc/systemd/system/k8s-join-refresh@.service"),
      staticFile("/etc/systemd/system/k8s-join-refresh@token.timer"),
      staticFile("/etc/systemd/system/k8s-join-refresh@certs.timer"),
      ...(backup
        ? [
            script("etcdBackup"),
            ...Object.entries(etcdBackupUnits(SCRIPT_PATHS.etcdBackup, backup)).map(([path, text]) =>
              generated(path, text, "timers.ts", "etcdBackupUnits"),
            ),
          ]
        : []),
      // Membership: the init lock, etcd members of gone instances (removed by every member every 2
      // minutes), leaving cleanly when terminated.
      script("controlPlaneLib"),
      script("controlPlaneBoot"),
      script("initLock"),
      script("etcdMembers"),
      staticFile("/etc/systemd/system/k8s-etcd-members-prune.service"),
      staticFile("/etc/systemd/system/k8s-etcd-members-prune.timer"),
      script("terminationWatch"),
      staticFile("/etc/systemd/system/k8s-termination-watch.service"),
      // Workload identity: the issuer's documents published to its bucket once this node serves them.
      // and the pod identity webhook's serving certificate, signed by the cluster CA.
      ...(s.workloadIdentity ? [script("oidcPublish"), script("webhookCert")] : []),
      join,
      generated(`${CONFIG_DIR}/kubeadm-init.yaml.tmpl`, kubeadmInitTemplate(s), "kubeadm.ts", "kubeadmInitTemplate"),
      // The API server's audit policy, in place before kubeadm writes the API server's manifest.
      staticFile(AUDIT_PATHS.policyFile),
      // Secrets encrypted at rest and the service-account signing key: made once, kept in SSM
      // SecureString, written by k8s-cluster-secrets before kubeadm init or join (the template has
      // no key: the node fills in the key list).
      script("clusterSecrets"),
      generated(ENCRYPTION_PATHS.template, encryptionConfigTemplate(), "encryption.ts", "encryptionConfigTemplate"),
      // Maintenance after boot, one node at a time under a Lease (lease.sh): certificate renewal and
      // its daily timer, in-place upgrades to one of the pinned releases.
      script("lease"),
      script("certRenew"),
      staticFile("/etc/systemd/system/k8s-cert-renew.service"),
      staticFile("/etc/systemd/system/k8s-cert-renew.timer"),
      script("upgrade"),
      generated(KUBERNETES_VERSIONS_PATH, kubernetesVersionsFile(), "maintenance.ts", "kubernetesVersionsFile"),
    ];
    files.push(...bundled.map(viaBundle));
  }
  const twice = files.map((f) => f.path).filter((p, i, all) => all.indexOf(p) !== i);
  if (twice.length) throw new Error(`bootstrap: ${twice[0]} is listed twice among the files of a ${s.role} node`);
  return files;
}
