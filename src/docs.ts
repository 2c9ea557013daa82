/** Markdown tables the README carries, rendered from the same data the code uses. */
import { NETWORK_ADDITIONS, CLUSTER_ADDITIONS } from "./aws/deviations";
import { additionTable, cell, deviationTable } from "./markdown";
import { resolveConfig } from "./config";
import { buildApp } from "./app";
import { stackToJson } from "./analysis/tf-json";
import * as fs from "fs";
import * as path from "path";
import { SECURITY_ADDITIONS } from "./aws/security-rules";
import { ADDON_VERSIONS, CONTAINERD_SERIES, DEFAULT_KUBERNETES_MINOR, ECR_CREDENTIAL_PROVIDER, KUBERNETES_PATCH, SUPPORTED_KUBERNETES_MINORS } from "./bootstrap/versions";
import { bundleImages } from "./addons/bundle";
import { parseImage, pullAuthority } from "./bootstrap/image-pulls";
import type { ClusterStack } from "./stacks/cluster-stack";

/** Every generated README section, by marker name. */
export function readmeSections(): Record<string, string> {
  // One default cluster for every table that reads it.
  const { cluster } = buildApp(resolveConfig({}));
  return {
    deviations: deviationTable(),
    "network-additions": additionTable(NETWORK_ADDITIONS),
    "security-additions": additionTable(SECURITY_ADDITIONS),
    "cluster-additions": additionTable(CLUSTER_ADDITIONS),
    ...clusterTables(cluster),
    "etcd-restore": restoreProcedure(),
    "node-downloads": nodeDownloads(cluster),
  };
}

/** `text` with each marked section's body replaced; throws when markers are missing. */
export function replaceSections(text: string, sections: Record<string, string>): string {
  for (const [name, body] of Object.entries(sections)) {
    const re = new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
    if (!re.test(text)) throw new Error(`README.md has no ${name} section markers`);
    text = text.replace(re, (_m, a: string, b: string) => `${a}${body}\n${b}`);
  }
  return text;
}

/** Variables and outputs tables, read from the default cluster as synthesized. */
function clusterTables(cluster: ClusterStack): Record<string, string> {
  const tf = stackToJson(cluster) as { variable?: Record<string, { default: unknown }>; output?: Record<string, { description?: string }> };
  const variables = [
    "| variable | type | default (from the configuration) | set at synth by | meaning |",
    "|---|---|---|---|---|",
    ...cluster.variables.specs.map(
      (v) => `| \`${v.name}\` | \`${v.type}\` | \`${JSON.stringify(tf.variable?.[v.name]?.default)}\` | \`${v.setting}\` | ${cell(v.description)} |`,
    ),
  ].join("\n");
  const outputs = [
    "| output | what it gives you |",
    "|---|---|",
    ...Object.entries(tf.output ?? {}).map(([name, o]) => `| \`${name}\` | ${cell(o.description ?? "")} |`),
  ].join("\n");
  return { variables, outputs };
}

/** What the nodes download at boot, and from where: rendered from the pins and the default cluster's bundle. */
function nodeDownloads(cluster: ClusterStack): string {
  const bundle = cluster.addonAssets.bundle;
  const minor = DEFAULT_KUBERNETES_MINOR;
  const patches = SUPPORTED_KUBERNETES_MINORS.map((m) => `${KUBERNETES_PATCH[m]}`).join(", ");
  const rows: string[][] = [
    ["kubelet, kubeadm, kubectl", `${KUBERNETES_PATCH[minor]} (the pin per minor: ${patches}); a joining node installs the cluster's own version`, `apt: https://pkgs.k8s.io/core:/stable:/v${minor}/deb/ (and its Release.key)`, "apt, with the repository's signing key"],
    ["cri-tools (crictl)", `${minor}.*`, `apt: https://pkgs.k8s.io/core:/stable:/v${minor}/deb/`, "apt"],
    ["containerd, runc", `containerd ${CONTAINERD_SERIES}.x from ${CONTAINERD_SERIES}.1 on (apt pin; the node refuses an older one), runc as Ubuntu ships it; both held`, "apt: the Ubuntu 24.04 archive the image is set up for (noble-updates)", "apt, with Ubuntu's archive key"],
    ["ca-certificates, curl, gpg", "Ubuntu's", "apt: the Ubuntu 24.04 archive", "apt"],
    ["AWS CLI", "snap aws-cli, stable channel (classic)", "the Snap Store", "snapd's assertions"],
    [
      "ecr-credential-provider",
      ECR_CREDENTIAL_PROVIDER.version,
      `${ECR_CREDENTIAL_PROVIDER.url("amd64")} (arm64: the same path with arm64)`,
      `SHA-256 pinned in src/bootstrap/versions.ts (amd64 \`${ECR_CREDENTIAL_PROVIDER.sha256.amd64.slice(0, 12)}...\`, arm64 \`${ECR_CREDENTIAL_PROVIDER.sha256.arm64.slice(0, 12)}...\`), read from kubernetes/k8s.io's promotion manifest`,
    ],
    ["kubeadm's images (API server, controller manager, scheduler, proxy, etcd, CoreDNS, pause)", `those of v${KUBERNETES_PATCH[minor]}: \`kubeadm config images list --kubernetes-version v${KUBERNETES_PATCH[minor]}\``, "registry.k8s.io", "anonymous pull"],
    ...bundleImages(bundle).map((image) => {
      const ref = parseImage(image);
      return [
        `image \`${image.replace(/^.*\//, "")}\``,
        ref.tag ?? ref.digest ?? "",
        `${ref.registry}/${ref.repository}`,
        pullAuthority(image) === "public" ? "anonymous pull" : "pull with the node role's ECR token (ecr-credential-provider)",
      ];
    }),
    [
      "the cluster bundle (add-on manifests, control-plane scripts)",
      `\`addons/<SHA-256 of SHA256SUMS>/\` (VPC CNI ${ADDON_VERSIONS.vpcCni}, cloud controller ${ADDON_VERSIONS.cloudControllerManager[minor]})`,
      "the assets bucket, through the VPC's S3 gateway endpoint (control-plane nodes only)",
      "SHA-256 of every file against SHA256SUMS, whose SHA-256 is in user data",
    ],
  ];
  return [
    `For the default configuration (Kubernetes ${minor}). Nothing comes from github.com. Every pin is in \`src/bootstrap/versions.ts\` and the vendored manifests under \`addons/\`; to use a mirror, change them there.`,
    "",
    "| what | version | from | checked by |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

/** src/bootstrap/ETCD-RESTORE.md with its headings moved under the README's etcd section. */
function restoreProcedure(): string {
  const text = fs.readFileSync(path.join(__dirname, "bootstrap", "ETCD-RESTORE.md"), "utf8");
  let inCode = false;
  return text
    .trimEnd()
    .split("\n")
    .map((line) => {
      if (line.startsWith("```")) inCode = !inCode;
      if (inCode || !/^#+ /.test(line)) return line.replace("(README.md)", "(#etcd-backups-and-restore)");
      return `##${line}`;
    })
    .join("\n");
}
