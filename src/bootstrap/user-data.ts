/**
 * Renders one node's user data: a #cloud-config document (built as data, serialized with the yaml
 * package) whose write_files carry the scripts and their configuration, and whose runcmd runs
 * k8s-bootstrap. It holds names only; the node reads everything else from IMDS and SSM at boot.
 */
import { gzipSync } from "zlib";
import { stringify } from "yaml";
import { ADDON_VERSIONS, SUPPORTED_KUBERNETES_MINORS } from "./versions";
import { BOOTSTRAP_SCRIPTS, SCRIPT_PATHS } from "./scripts";
import {
  ADDONS_DIR,
  BootstrapSettings,
  CONFIG_DIR,
  CONTAINERD_CONFIG,
  CRICTL_CONFIG,
  KERNEL_MODULES,
  NodeRole,
  SYSCTLS,
  cloudConfigTemplate,
  cloudControllerManagerManifest,
  eniConfigTemplate,
  envFile,
  etcdBackupUnits,
  joinRefreshUnits,
  kubeadmInitTemplate,
  kubeadmJoinTemplate,
  vpcCniKustomization,
} from "./node-files";

export interface RenderedUserData {
  /** The #cloud-config YAML text. */
  readonly cloudConfig: string;
  /** gzip(cloudConfig), base64: for EC2 user_data_base64 or a launch template's user_data. */
  readonly userDataBase64: string;
}

/**
 * EC2 rejects user data above 16 KiB. AWS counts the bytes before base64; we hold the base64 text
 * itself under the limit, which leaves room whichever way a tool counts.
 */
export const EC2_USER_DATA_LIMIT = 16384;

export const NODE_ROLES: readonly NodeRole[] = ["control-plane-init", "control-plane-join", "worker"];

interface WriteFile {
  path: string;
  permissions: string;
  content: string;
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
    check("etcdBackup.onCalendar", onCalendar, /^[A-Za-z0-9*:/.,~+-]+( [A-Za-z0-9*:/.,~+-]+)*$/.test(onCalendar), "is not a systemd OnCalendar value");
  }
}

function script(path: string): WriteFile {
  return { path, permissions: "0755", content: BOOTSTRAP_SCRIPTS[path] };
}

function file(path: string, content: string, permissions = "0644"): WriteFile {
  return { path, permissions, content };
}

/** The files one role needs: workers get no add-ons, no init configuration, no refresh or backup timers. */
function filesFor(s: BootstrapSettings, ccmTag: string): WriteFile[] {
  const controlPlane = s.role !== "worker";
  const files: WriteFile[] = [
    file(`${CONFIG_DIR}/env`, envFile(s, ccmTag)),
    script(SCRIPT_PATHS.lib),
    script(SCRIPT_PATHS.prepare),
    script(SCRIPT_PATHS.bootstrap),
    file(`${CONFIG_DIR}/containerd.toml`, CONTAINERD_CONFIG),
    file("/etc/modules-load.d/k8s.conf", KERNEL_MODULES),
    file("/etc/sysctl.d/99-k8s.conf", SYSCTLS),
    file("/etc/crictl.yaml", CRICTL_CONFIG),
    file(`${CONFIG_DIR}/kubeadm-join.yaml.tmpl`, kubeadmJoinTemplate(s)),
  ];
  if (controlPlane) {
    files.push(script(SCRIPT_PATHS.joinRefresh));
    for (const [path, text] of Object.entries(joinRefreshUnits(SCRIPT_PATHS.joinRefresh))) files.push(file(path, text));
    if (s.etcdBackup) {
      files.push(script(SCRIPT_PATHS.etcdBackup));
      for (const [path, text] of Object.entries(etcdBackupUnits(SCRIPT_PATHS.etcdBackup, s.etcdBackup))) files.push(file(path, text));
    }
  }
  if (s.role === "control-plane-init") {
    const cni = vpcCniKustomization(s);
    files.push(
      script(SCRIPT_PATHS.addons),
      file(`${CONFIG_DIR}/kubeadm-init.yaml.tmpl`, kubeadmInitTemplate(s)),
      file(`${ADDONS_DIR}/vpc-cni/kustomization.yaml`, cni.kustomization),
      file(`${ADDONS_DIR}/vpc-cni/aws-node-env.yaml`, cni.patch),
      file(`${ADDONS_DIR}/eniconfig.yaml.tmpl`, eniConfigTemplate()),
      file(`${ADDONS_DIR}/cloud.conf.tmpl`, cloudConfigTemplate(s)),
      file(`${ADDONS_DIR}/aws-cloud-controller-manager.yaml`, cloudControllerManagerManifest(s, ccmTag)),
    );
  }
  return files;
}

export function renderUserData(s: BootstrapSettings): RenderedUserData {
  validate(s);
  const ccmTag = ADDON_VERSIONS.cloudControllerManager[s.kubernetesMinor];
  const doc = {
    write_files: filesFor(s, ccmTag),
    // One command: runcmd goes on after a failed line, k8s-bootstrap does not.
    runcmd: [[SCRIPT_PATHS.bootstrap]],
  };
  const cloudConfig = `#cloud-config\n${stringify(doc, { lineWidth: 0, blockQuote: "literal", indentSeq: false })}`;
  // zlib writes no timestamp into the gzip header, so equal input gives equal user data (no diffs).
  const userDataBase64 = gzipSync(Buffer.from(cloudConfig, "utf8"), { level: 9 }).toString("base64");
  if (userDataBase64.length >= EC2_USER_DATA_LIMIT)
    throw new Error(`bootstrap: user data for role ${s.role} is ${userDataBase64.length} bytes (gzip, base64); EC2 allows ${EC2_USER_DATA_LIMIT}`);
  return { cloudConfig, userDataBase64 };
}
