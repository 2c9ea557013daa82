/**
 * Renders one node's user data: a #cloud-config document (built as data, serialized with the yaml
 * package) whose write_files carry the scripts and their configuration, and whose runcmd runs
 * k8s-bootstrap. It holds names only; the node reads everything else from IMDS and SSM at boot.
 */
import { gzipSync } from "zlib";
import { stringify } from "yaml";
import { SUPPORTED_KUBERNETES_MINORS } from "./versions";
import { BOOTSTRAP_SCRIPTS, SCRIPT_PATHS } from "./scripts";
import {
  BootstrapSettings,
  CLOUD_INIT_NETWORK_UPDATES,
  CLOUD_INIT_NETWORK_UPDATES_PATH,
  CONFIG_DIR,
  CONTAINERD_CONFIG_TEMPLATE,
  CREDENTIAL_PROVIDER_CONFIG_TEXT,
  CRICTL_CONFIG,
  KERNEL_MODULES,
  NETWORKD_CONF_PATH,
  NETWORKD_FOREIGN_ROUTES,
  NodeFacts,
  NodeRole,
  SYSCTLS,
  containerdAptPreferences,
  envFile,
  etcdBackupUnits,
  joinRefreshUnits,
  kubeadmInitTemplate,
  kubeadmJoinTemplate,
} from "./node-files";
import { CREDENTIAL_PROVIDER_CONFIG_PATH } from "./image-pulls";
import { addonBundle } from "../addons/bundle";
import { onCalendarProblem } from "../validation/systemd-calendar";
import { hostNetworkPods } from "../addons/host-network";
import { terminationWatchUnits } from "./membership";

export interface RenderedUserData {
  /** The #cloud-config YAML text. */
  readonly cloudConfig: string;
  /** gzip(cloudConfig), base64: for EC2 user_data_base64 or a launch template's user_data. */
  readonly userDataBase64: string;
  /** Bytes EC2 receives: gzip(cloudConfig), before base64. */
  readonly gzipBytes: number;
  /** Every file the node receives: path, mode, and where its content comes from. */
  readonly listing: readonly { readonly path: string; readonly permissions: string; readonly source: string; readonly delivery: "user data" | "bundle" }[];
}

/** EC2 rejects user data above 16 KiB, counted before base64 (here: the gzip bytes). */
export const EC2_USER_DATA_LIMIT = 16384;
/** Our budget per document, well inside EC2's limit: add-ons travel through S3, not user data. */
export const USER_DATA_BUDGET = 12288;

export const NODE_ROLES: readonly NodeRole[] = ["control-plane", "worker"];

interface WriteFile {
  path: string;
  permissions: string;
  content: string;
  /** For the boot listing only (not written into the cloud-config). */
  source: string;
  /** In the user data, or (control-plane nodes) installed from the S3 bundle at boot. */
  delivery: "user data" | "bundle";
}

const CIDR = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

function check(field: string, value: string, ok: boolean, why: string): void {
  if (!ok) throw new Error(`bootstrap: ${field} = ${JSON.stringify(value)} ${why}`);
}

function validate(s: BootstrapSettings): void {
  check("role", s.role, NODE_ROLES.includes(s.role), `is not one of ${NODE_ROLES.join(", ")}`);
  check(
    "kubernetesMinor",
    s.kubernetesMinor,
    SUPPORTED_KUBERNETES_MINORS.includes(s.kubernetesMinor),
    `has no pinned cloud controller image; supported: ${SUPPORTED_KUBERNETES_MINORS.join(", ")}`,
  );
  check("clusterName", s.clusterName, /^[a-z0-9][a-z0-9-]*$/.test(s.clusterName), "must be lowercase letters, digits and hyphens");
  check("region", s.region, /^[a-z]{2}(-[a-z]+)+-\d$/.test(s.region), "is not an AWS region name");
  check("ssmPrefix", s.ssmPrefix, /^(\/[A-Za-z0-9_.-]+)+$/.test(s.ssmPrefix), "must look like /a/b (no trailing slash)");
  check("podCidr", s.podCidr, CIDR.test(s.podCidr), "is not an IPv4 CIDR");
  check("serviceCidr", s.serviceCidr, CIDR.test(s.serviceCidr), "is not an IPv4 CIDR");
  if (s.etcdBackup) {
    const { bucket, prefix, onCalendar } = s.etcdBackup;
    check("etcdBackup.bucket", bucket, !bucket.includes("${"), "is a Terraform token; pass the plain bucket name");
    check(
      "etcdBackup.bucket",
      bucket,
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) && !bucket.includes(".."),
      "is not an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)",
    );
    check("etcdBackup.prefix", prefix, /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(prefix), "must look like a/b (no leading or trailing slash)");
    const calendar = onCalendarProblem(onCalendar);
    check("etcdBackup.onCalendar", onCalendar, calendar === undefined, calendar ?? "");
  }
}

function script(path: string): WriteFile {
  const name = Object.entries(SCRIPT_PATHS).find(([, p]) => p === path)?.[0];
  return { path, permissions: "0755", content: BOOTSTRAP_SCRIPTS[path], source: `src/bootstrap/scripts (${name})`, delivery: "user data" };
}

function file(path: string, content: string, source: string, permissions = "0644"): WriteFile {
  return { path, permissions, content, source, delivery: "user data" };
}

const viaBundle = (f: WriteFile): WriteFile => ({ ...f, delivery: "bundle" });

const NODE_FILES = "src/bootstrap/node-files.ts";

/** The files one role needs: workers get no add-ons, no init configuration, no refresh or backup timers. */
function filesFor(s: BootstrapSettings, facts: NodeFacts): WriteFile[] {
  const controlPlane = s.role !== "worker";
  const files: WriteFile[] = [
    file(`${CONFIG_DIR}/env`, envFile(s, facts), `${NODE_FILES} envFile`),
    script(SCRIPT_PATHS.lib),
    script(SCRIPT_PATHS.prepare),
    script(SCRIPT_PATHS.bootstrap),
    script(SCRIPT_PATHS.lifecycle),
    file(`${CONFIG_DIR}/containerd.toml.tmpl`, CONTAINERD_CONFIG_TEMPLATE, `${NODE_FILES} CONTAINERD_CONFIG_TEMPLATE`),
    file("/etc/apt/preferences.d/k8s-containerd", containerdAptPreferences(), `${NODE_FILES} containerdAptPreferences`),
    file(NETWORKD_CONF_PATH, NETWORKD_FOREIGN_ROUTES, `${NODE_FILES} NETWORKD_FOREIGN_ROUTES`),
    file(CLOUD_INIT_NETWORK_UPDATES_PATH, CLOUD_INIT_NETWORK_UPDATES, `${NODE_FILES} CLOUD_INIT_NETWORK_UPDATES`),
    file(CREDENTIAL_PROVIDER_CONFIG_PATH, CREDENTIAL_PROVIDER_CONFIG_TEXT, "src/bootstrap/image-pulls.ts CREDENTIAL_PROVIDER_CONFIG"),
    file("/etc/modules-load.d/k8s.conf", KERNEL_MODULES, `${NODE_FILES} KERNEL_MODULES`),
    file("/etc/sysctl.d/99-k8s.conf", SYSCTLS, `${NODE_FILES} SYSCTLS`),
    file("/etc/crictl.yaml", CRICTL_CONFIG, `${NODE_FILES} CRICTL_CONFIG`),
    file(`${CONFIG_DIR}/kubeadm-join.yaml.tmpl`, kubeadmJoinTemplate(s), `${NODE_FILES} kubeadmJoinTemplate`),
  ];
  if (controlPlane) {
    // What only control-plane nodes need travels in the bundle: user data stays within its budget.
    const bundled: WriteFile[] = [script(SCRIPT_PATHS.joinRefresh), script(SCRIPT_PATHS.addons)];
    for (const [path, text] of Object.entries(joinRefreshUnits(SCRIPT_PATHS.joinRefresh))) bundled.push(file(path, text, `${NODE_FILES} joinRefreshUnits`));
    if (s.etcdBackup) {
      bundled.push(script(SCRIPT_PATHS.etcdBackup));
      for (const [path, text] of Object.entries(etcdBackupUnits(SCRIPT_PATHS.etcdBackup, s.etcdBackup))) bundled.push(file(path, text, `${NODE_FILES} etcdBackupUnits`));
    }
    bundled.push(script(SCRIPT_PATHS.controlPlaneLib), script(SCRIPT_PATHS.initLock));
    bundled.push(script(SCRIPT_PATHS.etcdMembers), script(SCRIPT_PATHS.terminationWatch));
    for (const [path, text] of Object.entries(terminationWatchUnits(SCRIPT_PATHS.terminationWatch)))
      bundled.push(file(path, text, "src/bootstrap/membership.ts terminationWatchUnits"));
    bundled.push(file(`${CONFIG_DIR}/kubeadm-init.yaml.tmpl`, kubeadmInitTemplate(s), `${NODE_FILES} kubeadmInitTemplate`));
    files.push(...bundled.map(viaBundle));
  }
  return files;
}

/**
 * Renders one role's user data. `node` names the nodes that receive it (for the size error).
 */
/** Settings that are the same for every node of a cluster (the bundle's input). */
export type ClusterBootstrapSettings = Omit<BootstrapSettings, "role">;

/**
 * The cluster's bundle: the add-ons, and the files control-plane nodes install from it. Terraform
 * uploads it; control-plane user data names its digest.
 */
export function clusterBundle(s: ClusterBootstrapSettings) {
  const settings: BootstrapSettings = { ...s, role: "control-plane" };
  validate(settings);
  const nodeFiles = filesFor(settings, { hostNetworkPods: 0 })
    .filter((f) => f.delivery === "bundle")
    .map(({ path, permissions, content, source }) => ({ path, permissions, content, source }));
  return addonBundle({ clusterName: s.clusterName, kubernetesMinor: s.kubernetesMinor, nodeFiles });
}

/**
 * Renders one role's user data. `node` names the nodes that receive it (for the size error).
 */
export function renderUserData(s: BootstrapSettings, node: string = s.role): RenderedUserData {
  validate(s);
  const controlPlane = s.role !== "worker";
  const bundle = clusterBundle(s);
  const facts: NodeFacts = {
    bundleDigest: controlPlane ? bundle.digest : undefined,
    hostNetworkPods: hostNetworkPods(bundle, controlPlane ? "control-plane" : "worker").length,
  };
  const files = filesFor(s, facts);
  const doc = {
    write_files: files.filter((f) => f.delivery === "user data").map(({ path, permissions, content }) => ({ path, permissions, content })),
    // runcmd goes on after a failed line, k8s-bootstrap does not; k8s-lifecycle runs after it either
    // way: it completes the launch hook once the node is Ready, or reports and replaces a failed boot.
    runcmd: [[SCRIPT_PATHS.bootstrap], [SCRIPT_PATHS.lifecycle, "after-boot"]],
  };
  const cloudConfig = `#cloud-config\n${stringify(doc, { lineWidth: 0, blockQuote: "literal", indentSeq: false })}`;
  // zlib writes no timestamp into the gzip header, so equal input gives equal user data (no diffs).
  const gzipped = gzipSync(Buffer.from(cloudConfig, "utf8"), { level: 9 });
  if (gzipped.length > USER_DATA_BUDGET)
    throw new Error(
      `bootstrap: user data of ${node} is ${gzipped.length} bytes after gzip, over the ${USER_DATA_BUDGET}-byte budget (EC2 allows ${EC2_USER_DATA_LIMIT}); move files into the add-on bundle (S3)`,
    );
  return {
    cloudConfig,
    userDataBase64: gzipped.toString("base64"),
    gzipBytes: gzipped.length,
    listing: files.map(({ path, permissions, source, delivery }) => ({ path, permissions, source, delivery })),
  };
}
