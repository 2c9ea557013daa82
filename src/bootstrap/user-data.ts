/**
 * Renders one node's user data: a #cloud-config document (built as data, serialized with the yaml
 * package) whose write_files carry the files of the index (node-files.ts) that come in the user
 * data, and whose runcmd runs k8s-bootstrap. It holds names only; the node reads everything else
 * from IMDS and SSM at boot, and control-plane nodes install the rest from the cluster bundle.
 */
import { gzipSync } from "zlib";
import { stringify } from "yaml";
import { SCRIPT_PATHS } from "./scripts";
import { Delivery, NodeFacts, nodeFiles } from "./node-files";
import { BootstrapSettings, ClusterBootstrapSettings, validateSettings } from "./settings";
import { AddonBundle, addonBundle } from "../addons/bundle";
import { hostNetworkPods } from "../addons/host-network";
import { EC2_USER_DATA_LIMIT, USER_DATA_BUDGET } from "../aws/limits";

/** One file a node receives, as the boot listing shows it. */
export interface ListedFile {
  readonly path: string;
  readonly permissions: string;
  /** Where its content comes from in the repository. */
  readonly source: string;
  readonly delivery: Delivery;
}

export interface RenderedUserData {
  /** The #cloud-config YAML text. */
  readonly cloudConfig: string;
  /** gzip(cloudConfig), base64: for EC2 user_data_base64 or a launch template's user_data. */
  readonly userDataBase64: string;
  /** Bytes EC2 receives: gzip(cloudConfig), before base64. */
  readonly gzipBytes: number;
  /** SHA-256 of the cluster bundle the node installs files from (control-plane roles). */
  readonly bundleDigest?: string;
  /** Every file the node receives: path, mode, and where its content comes from. */
  readonly listing: readonly ListedFile[];
}

export { EC2_USER_DATA_LIMIT, USER_DATA_BUDGET };

/**
 * The cluster's bundle: the add-ons, and the files control-plane nodes install from it. Terraform
 * uploads it; control-plane user data names its digest.
 */
export function clusterBundle(s: ClusterBootstrapSettings) {
  const settings: BootstrapSettings = { ...s, role: "control-plane" };
  validateSettings(settings);
  const bundled = nodeFiles(settings, { hostNetworkPods: 0 })
    .filter((f) => f.delivery === "bundle")
    .map(({ path, permissions, content, source }) => ({ path, permissions, content, source }));
  return addonBundle({
    clusterName: s.clusterName,
    region: s.region,
    kubernetesMinor: s.kubernetesMinor,
    nodeFiles: bundled,
    ebsCsiDriver: s.addons?.ebsCsi,
    controlPlaneCount: s.addons?.controlPlaneCount,
    metricsServer: s.addons?.metricsServer,
    clusterAutoscaler: s.addons?.clusterAutoscaler,
    workloadIdentity: s.workloadIdentity !== undefined,
  });
}

/**
 * Renders one role's user data. `node` names the nodes that receive it (for the size error);
 * `bundle` is the cluster's bundle made from the same settings, when the caller has it already
 * (the stack makes it once for the upload and both roles).
 */
export function renderUserData(s: BootstrapSettings, node: string = s.role, made?: AddonBundle): RenderedUserData {
  validateSettings(s);
  const bundle = made ?? clusterBundle(s);
  const controlPlane = s.role !== "worker";
  const facts: NodeFacts = {
    bundleDigest: controlPlane ? bundle.digest : undefined,
    hostNetworkPods: hostNetworkPods(bundle, controlPlane ? "control-plane" : "worker").length,
  };
  const files = nodeFiles(s, facts);
  const doc = {
    write_files: files
      .filter((f) => f.delivery === "user data")
      .map(({ path, permissions, content }) => ({ path, permissions, content })),
    // runcmd goes on after a failed line, k8s-bootstrap does not; k8s-lifecycle runs after it either
    // way: it completes the launch hook once the node is Ready, or reports and replaces a failed boot.
    runcmd: [[SCRIPT_PATHS.bootstrap], [SCRIPT_PATHS.lifecycle, "after-boot"]],
  };
  const cloudConfig = `#cloud-config\n${stringify(doc, { lineWidth: 0, blockQuote: "literal", indentSeq: false })}`;
  // zlib writes no timestamp into the gzip header, so equal input gives equal user data (no diffs).
  const gzipped = gzipSync(Buffer.from(cloudConfig, "utf8"), { level: 9 });
  if (gzipped.length > USER_DATA_BUDGET)
    throw new Error(
      `bootstrap: user data of ${node} is ${gzipped.length} bytes after gzip, over the ${USER_DATA_BUDGET}-byte ` +
        `budget (EC2 allows ${EC2_USER_DATA_LIMIT}); move files into the add-on bundle (S3)`,
    );
  return {
    cloudConfig,
    userDataBase64: gzipped.toString("base64"),
    gzipBytes: gzipped.length,
    bundleDigest: facts.bundleDigest,
    listing: files.map(({ path, permissions, source, delivery }) => ({ path, permissions, source, delivery })),
  };
}
