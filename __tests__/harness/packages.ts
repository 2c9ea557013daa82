/**
 * The commands the harness stubs (stubs.sh), and the check that each stands in for a real tool of a
 * node: one of the Ubuntu image's packages, or one the bootstrap scripts install.
 */
import { BOOTSTRAP_SCRIPTS } from "../../src/bootstrap/scripts";

/**
 * Every stubbed command and the package that puts it on a node. A stub may stand in for a real
 * tool, never for a missing one: the package must be in the Ubuntu 24.04 server image or be
 * installed by the bootstrap scripts themselves (see stubsWithoutPackage).
 */
export const STUBBED_COMMANDS: Readonly<Record<string, string>> = Object.freeze({
  "apt-get": "apt",
  "apt-mark": "apt",
  aws: "snap:aws-cli",
  crictl: "cri-tools",
  curl: "curl",
  dpkg: "dpkg",
  "dpkg-query": "dpkg",
  getent: "libc-bin",
  gpg: "gpg",
  kubeadm: "kubeadm",
  kubectl: "kubectl",
  modprobe: "kmod",
  sleep: "coreutils",
  snap: "snapd",
  swapoff: "util-linux",
  sysctl: "procps",
  systemctl: "systemd",
  timeout: "coreutils",
});

/**
 * Packages of the Ubuntu 24.04 LTS server cloud image the scripts rely on (Canonical's
 * ubuntu-24.04-server-cloudimg-amd64.manifest lists them: the ubuntu-server and
 * ubuntu-minimal seeds). Not in it: the AWS CLI (a snap here), containerd, runc, cri-tools,
 * kubelet, kubeadm, kubectl, conntrack, jq.
 */
export const UBUNTU_IMAGE_PACKAGES: readonly string[] = Object.freeze([
  "apt",
  "coreutils",
  "curl",
  "dpkg",
  "gpg",
  "kmod",
  "libc-bin",
  "procps",
  "snapd",
  "systemd",
  "util-linux",
]);

/** Packages the scripts install: apt_install arguments (PKG or PKG=VERSION) and snap install NAME. */
export function packagesInstalledBy(scripts: readonly string[]): string[] {
  const found = new Set<string>();
  for (const script of scripts) {
    const text = script
      .split("\n")
      .filter((l) => !/^\s*#/.test(l))
      .join("\n");
    for (const m of text.matchAll(/\bapt_install((?:[ \t]+(?:\\\n)?[ \t]*[^\s|;&]+)+)/g))
      for (const arg of m[1].replace(/\\\n/g, " ").trim().split(/\s+/)) found.add(arg.replace(/^"/, "").split("=")[0]);
    for (const m of text.matchAll(/snap install ([a-z0-9-]+)/g)) found.add(`snap:${m[1]}`);
  }
  return [...found].sort();
}

/** Stubbed commands that no package of the image or of the scripts provides ("command (package)"). */
export function stubsWithoutPackage(scripts: readonly string[] = Object.values(BOOTSTRAP_SCRIPTS)): string[] {
  const available = new Set([...UBUNTU_IMAGE_PACKAGES, ...packagesInstalledBy(scripts)]);
  return Object.entries(STUBBED_COMMANDS)
    .filter(([, pkg]) => !available.has(pkg))
    .map(([cmd, pkg]) => `${cmd} (${pkg})`);
}
