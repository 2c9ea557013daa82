/** The generated sections of README.md and docs/*.md, rendered from the same data the code uses. */
import { NETWORK_ADDITIONS, CLUSTER_ADDITIONS } from "../src/aws/deviations";
import { additionTable, cell, deviationTable, securityAdditions } from "../src/markdown";
import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { TfJson, stackToJson } from "../src/analysis/tf-json";
import * as fs from "fs";
import * as path from "path";
import {
  ADDON_VERSIONS,
  CONTAINERD_SERIES,
  DEFAULT_KUBERNETES_MINOR,
  ECR_CREDENTIAL_PROVIDER,
  KUBERNETES_PATCH,
  SUPPORTED_KUBERNETES_MINORS,
} from "../src/bootstrap/versions";
import { bundleImages } from "../src/addons/bundle";
import { parseImage, pullAuthority } from "../src/bootstrap/image-pulls";
import type { ClusterStack } from "../src/stacks/cluster-stack";
import { USER_DATA_BUDGET } from "../src/bootstrap/user-data";
import { hostNetworkPods } from "../src/addons/host-network";

/** The repository root: README.md and docs/ live here. */
export const DOCS_ROOT = path.resolve(__dirname, "..");

/** Every generated section, by marker name; each lives in exactly one documentation file. */
export function generatedSections(): Record<string, string> {
  // One default cluster for every table that reads it, synthesized once.
  const { cluster } = buildApp(resolveConfig({}));
  const tf = stackToJson(cluster);
  return {
    deviations: deviationTable(),
    "network-additions": additionTable(NETWORK_ADDITIONS),
    "security-additions": additionTable(securityAdditions()),
    "cluster-additions": additionTable(CLUSTER_ADDITIONS),
    ...clusterTables(cluster, tf),
    "node-downloads": nodeDownloads(cluster),
    "user-data-sizes": userDataSizes(tf),
    "host-network-pods": hostNetworkPodCounts(cluster),
  };
}

/** A marker is a line of its own (a marker quoted in prose or in inline code is not one). */
const MARKER = /^<!-- ([a-z0-9-]+):(start|end) -->$/gm;

/** Names of the sections a text marks, once each, in order. */
export function markedSections(text: string): string[] {
  return [...new Set([...text.matchAll(MARKER)].map((m) => m[1]))];
}

/** `text` with each marked section's body replaced; throws when markers are missing. */
export function replaceSections(text: string, sections: Record<string, string>, file = "README.md"): string {
  for (const [name, body] of Object.entries(sections)) {
    const re = new RegExp(`(^<!-- ${name}:start -->\\n)[\\s\\S]*?(^<!-- ${name}:end -->$)`, "m");
    if (!re.test(text)) throw new Error(`${file} has no ${name} section markers`);
    text = text.replace(re, (_m, a: string, b: string) => `${a}${body}\n${b}`);
  }
  return text;
}

/** The files that may hold generated sections, relative to `root`: README.md and docs/*.md. */
export function documentationFiles(root = DOCS_ROOT): string[] {
  const dir = path.join(root, "docs");
  const docs = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".md"))
        .sort()
        .map((f) => `docs/${f}`)
    : [];
  return ["README.md", ...docs];
}

/**
 * Every file's text with the generated sections it holds rewritten (files: relative path -> text).
 * Throws when a file marks a section that does not exist, when a section is in no file or in two,
 * or when a start marker has no end marker.
 */
export function renderDocumentation(
  files: Record<string, string>,
  sections: Record<string, string> = generatedSections(),
): Record<string, string> {
  const holder = new Map<string, string>();
  for (const [file, text] of Object.entries(files)) {
    for (const name of markedSections(text)) {
      if (!(name in sections))
        throw new Error(`${file} marks a section "${name}" that tools/docs.ts does not generate`);
      if (holder.has(name)) throw new Error(`section "${name}" is marked in both ${holder.get(name)} and ${file}`);
      holder.set(name, file);
    }
  }
  const missing = Object.keys(sections).filter((name) => !holder.has(name));
  if (missing.length) throw new Error(`no documentation file marks the section(s) ${missing.join(", ")}`);
  return Object.fromEntries(
    Object.entries(files).map(([file, text]) => {
      const own = Object.fromEntries(Object.entries(sections).filter(([name]) => holder.get(name) === file));
      return [file, replaceSections(text, own, file)];
    }),
  );
}

/** Which file holds which generated section (for `npm run docs` to report). */
export function sectionFiles(files: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(files)
      .map(([file, text]) => [file, markedSections(text)])
      .filter(([, names]) => names.length),
  );
}

/** Variables and outputs tables, read from the default cluster as synthesized. */
function clusterTables(cluster: ClusterStack, synthesized: TfJson): Record<string, string> {
  const tf = synthesized as {
    variable?: Record<string, { default: unknown }>;
    output?: Record<string, { description?: string }>;
  };
  const variables = [
    "| variable | type | default (from the configuration) | set at synth by | meaning |",
    "|---|---|---|---|---|",
    ...cluster.variables.specs.map(
      (v) =>
        `| \`${v.name}\` | \`${v.type}\` | \`${JSON.stringify(tf.variable?.[v.name]?.default)}\` ` +
        `| \`${v.setting}\` | ${cell(v.description)} |`,
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
    [
      "kubelet, kubeadm, kubectl",
      `${KUBERNETES_PATCH[minor]} (the pin per minor: ${patches}); a joining node installs the cluster's own version`,
      `apt: https://pkgs.k8s.io/core:/stable:/v${minor}/deb/ (and its Release.key)`,
      "apt, with the repository's signing key",
    ],
    ["cri-tools (crictl)", `${minor}.*`, `apt: https://pkgs.k8s.io/core:/stable:/v${minor}/deb/`, "apt"],
    [
      "containerd, runc",
      `containerd ${CONTAINERD_SERIES}.x from ${CONTAINERD_SERIES}.1 on (apt pin; the node refuses an older one), ` +
        `runc as Ubuntu ships it; both held`,
      "apt: the Ubuntu 24.04 archive the image is set up for (noble-updates)",
      "apt, with Ubuntu's archive key",
    ],
    ["ca-certificates, curl, gpg", "Ubuntu's", "apt: the Ubuntu 24.04 archive", "apt"],
    ["AWS CLI", "snap aws-cli, stable channel (classic)", "the Snap Store", "snapd's assertions"],
    [
      "ecr-credential-provider",
      ECR_CREDENTIAL_PROVIDER.version,
      `${ECR_CREDENTIAL_PROVIDER.url("amd64")} (arm64: the same path with arm64)`,
      "SHA-256 pinned in src/bootstrap/versions.ts " +
        `(amd64 \`${ECR_CREDENTIAL_PROVIDER.sha256.amd64.slice(0, 12)}...\`, ` +
        `arm64 \`${ECR_CREDENTIAL_PROVIDER.sha256.arm64.slice(0, 12)}...\`), ` +
        "read from kubernetes/k8s.io's promotion manifest",
    ],
    [
      "kubeadm's images (API server, controller manager, scheduler, proxy, etcd, CoreDNS, pause)",
      `those of v${KUBERNETES_PATCH[minor]}: \`kubeadm config images list --kubernetes-version ` +
        `v${KUBERNETES_PATCH[minor]}\``,
      "registry.k8s.io",
      "anonymous pull",
    ],
    ...bundleImages(bundle).map((image) => {
      const ref = parseImage(image);
      return [
        `image \`${image.replace(/^.*\//, "")}\``,
        ref.tag ?? ref.digest ?? "",
        `${ref.registry}/${ref.repository}`,
        pullAuthority(image) === "public"
          ? "anonymous pull"
          : "pull with the node role's ECR token (ecr-credential-provider)",
      ];
    }),
    [
      "the cluster bundle (add-on manifests, control-plane scripts)",
      `\`addons/<SHA-256 of SHA256SUMS>/\` (VPC CNI ${ADDON_VERSIONS.vpcCni}, cloud controller ` +
        `${ADDON_VERSIONS.cloudControllerManager[minor]})`,
      "the assets bucket, through the VPC's S3 gateway endpoint (control-plane nodes only)",
      "SHA-256 of every file against SHA256SUMS, whose SHA-256 is in user data",
    ],
  ];
  return [
    `For the default configuration (Kubernetes ${minor}). Nothing comes from github.com. ` +
      "Every pin is in `src/bootstrap/versions.ts` and the vendored manifests under `addons/`; " +
      "to use a mirror, change them there.",
    "",
    "| what | version | from | checked by |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

/** The gzip sizes of the default cluster's user data, as the synthesized stack carries them. */
function userDataSizes(synthesized: TfJson): string {
  const tf = synthesized as { resource: Record<string, Record<string, Record<string, unknown>>> };
  const kib = (b64: unknown) => `${(Buffer.from(String(b64), "base64").length / 1024).toFixed(1)} KiB`;
  const templates = tf.resource.aws_launch_template;
  const sizes = [
    `${kib(templates.worker_launch_template.user_data)} (workers)`,
    `${kib(templates.control_plane_launch_template.user_data)} (control-plane nodes)`,
  ];
  return (
    `For the default configuration, after gzip: ${sizes.join(", ")}, ` + `of the ${USER_DATA_BUDGET / 1024} KiB budget.`
  );
}

/**
 * Host-network pods per role, from the default cluster's bundle, and max-pods for one example
 * instance type. t3.large: 3 network interfaces of 12 IPv4 addresses each (EC2 DescribeInstanceTypes).
 */
function hostNetworkPodCounts(cluster: ClusterStack): string {
  const bundle = cluster.addonAssets.bundle;
  const example = { type: "t3.large", enis: 3, ipv4PerEni: 12 };
  const vpcAddresses = (example.enis - 1) * (example.ipv4PerEni - 1);
  const roles = [
    ["workers", "a worker", hostNetworkPods(bundle, "worker")],
    ["control-plane nodes", "a control-plane node", hostNetworkPods(bundle, "control-plane")],
  ] as const;
  return [
    `Host-network pods: ${roles.map(([who, , pods]) => `${who} ${pods.length} (${pods.join(", ")})`).join("; ")}.`,
    `With a ${example.type} (${example.enis} ENIs of ${example.ipv4PerEni} IPv4 addresses each), \`max-pods\` is ${roles
      .map(([, one, pods]) => `${Math.min(110, vpcAddresses + pods.length)} on ${one}`)
      .join(" and ")}.`,
  ].join("\n");
}
