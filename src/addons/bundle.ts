/**
 * The add-ons the first control-plane node applies, as one bundle of files: the vendored upstream
 * manifests with our patches applied (src/addons/patches.ts), our own objects, and a SHA256SUMS
 * index. Synth uploads the bundle to the assets bucket under a key derived from the index's own
 * SHA-256; user data carries only that digest, and the node checks every file against it before
 * it applies anything.
 */
import { parse } from "yaml";
import { parseObjects } from "./manifest-objects";
import { yamlDocs } from "../bootstrap/yaml-text";
import { ADDON_VERSIONS, CLOUD_CONTROLLER_MANAGER_IMAGE } from "../bootstrap/versions";
import { VendoredAddon, loadVendored, sha256 } from "./vendored";
import {
  KubeObject,
  PodSpec,
  addArgs,
  container,
  find,
  onControlPlaneNodes,
  podSpec,
  setEnv,
  setImageTag,
} from "./patches";
import { imagePullProblems, podSpecOf } from "../bootstrap/image-pulls";
import { NTH_CONTAINER, NTH_MANAGED_TAG, NTH_RELEASE, nodeTerminationHandlerObjects } from "./node-termination-handler";
import { defaultStorageClassFile, ebsCsiDriverFile } from "./ebs-csi-driver";
import { podIdentityWebhookObjects, webhookFlags } from "./pod-identity-webhook";
import { AUTOSCALING_ADDON_VERSIONS } from "../bootstrap/versions";
import { METRICS_SERVER_ARGS, metricsServerObjects, patchMetricsServer } from "./metrics-server";
import { CLUSTER_AUTOSCALER_ADDED_FLAGS, autoDiscoveryValue, patchClusterAutoscaler } from "./cluster-autoscaler";

export interface AddonSettings {
  readonly clusterName: string;
  /** The cluster's region (the termination handler's AWS_REGION). */
  readonly region: string;
  readonly kubernetesMinor: string;
  /**
   * Files control-plane nodes install from the bundle instead of receiving them in user data
   * (scripts and units only they need): bundle path node/<install path>, listed in node/INSTALL.
   */
  readonly nodeFiles?: readonly NodeBundleFile[];
  /** The EBS CSI driver and the default StorageClass (configuration addons.ebsCsi); absent means on. */
  readonly ebsCsiDriver?: boolean;
  /** Control-plane nodes (the EBS CSI controller runs at most one replica on each). */
  readonly controlPlaneCount?: number;
  /** metrics-server (configuration addons.metricsServer); on unless false. */
  readonly metricsServer?: boolean;
  /** The cluster autoscaler for the workers' group (configuration addons.clusterAutoscaler); on unless false. */
  readonly clusterAutoscaler?: boolean;
  /** Workload identity (configuration workloadIdentity.enabled): the pod identity webhook; off unless true. */
  readonly workloadIdentity?: boolean;
}

export interface NodeBundleFile {
  /** Absolute install path on the node. */
  readonly path: string;
  /** Octal mode, e.g. "0755". */
  readonly permissions: string;
  readonly content: string;
  readonly source: string;
}

export interface BundleFile {
  /** Path inside the bundle (and below the bundle's S3 prefix). */
  readonly path: string;
  readonly text: string;
  /** Kubernetes objects of the file (empty for templates of other formats). */
  readonly objects: readonly KubeObject[];
  /** Where it comes from, for the boot listing: a vendored file and its patches, or our own. */
  readonly source: string;
}

export interface AddonBundle {
  readonly files: readonly BundleFile[];
  /** `sha256sum` format, one line per file, sorted by path. */
  readonly sums: string;
  /** SHA-256 of `sums`: names the bundle in S3 and in user data. */
  readonly digest: string;
  /** The vendored add-ons the bundle was made from. */
  readonly vendored: readonly VendoredAddon[];
}

export const BUNDLE_FILES = Object.freeze({
  vpcCni: "vpc-cni.yaml",
  eniConfig: "eniconfig.yaml.tmpl",
  cloudConfig: "cloud.conf.tmpl",
  cloudController: "cloud-controller-manager.yaml",
  /** A template: the node fills in the queue URL from SSM. */
  nodeTerminationHandler: "node-termination-handler.yaml.tmpl",
  /** The EBS CSI driver and the default StorageClass; only when addons.ebsCsi is on. */
  ebsCsiDriver: "ebs-csi-driver.yaml",
  /** The same with workload identity: a template, the node fills in the controller's role ARN. */
  ebsCsiDriverTemplate: "ebs-csi-driver.yaml.tmpl",
  /** The default StorageClass (with the driver): created when absent, never re-applied. */
  defaultStorageClass: "default-storage-class.yaml",
  metricsServer: "metrics-server.yaml",
  clusterAutoscaler: "cluster-autoscaler.yaml",
  /** A template: the node fills in the cluster CA as the webhook's caBundle. Only with workload identity. */
  podIdentityWebhook: "pod-identity-webhook.yaml.tmpl",
  /** "<mode> <install path>" per node file; the file itself is node/<install path>. */
  nodeInstall: "node/INSTALL",
  sums: "SHA256SUMS",
});

function nodeFileEntries(files: readonly NodeBundleFile[]): BundleFile[] {
  for (const f of files) {
    if (!/^\/[A-Za-z0-9._@/-]+$/.test(f.path) || f.path.includes(".."))
      throw new Error(`addons: node file path ${JSON.stringify(f.path)} is not a plain absolute path`);
    if (!/^0[0-7]{3}$/.test(f.permissions))
      throw new Error(`addons: node file ${f.path} has mode ${JSON.stringify(f.permissions)}, not an octal 0NNN`);
  }
  if (!files.length) return [];
  return [
    ...files.map((f) => ({ path: `node${f.path}`, text: f.content, objects: [], source: f.source })),
    {
      path: BUNDLE_FILES.nodeInstall,
      text: files.map((f) => `${f.permissions} ${f.path}\n`).join(""),
      objects: [],
      source: "src/addons/bundle.ts (install list)",
    },
  ];
}

/**
 * aws-node with custom networking: pods get addresses from the ENIConfig of the node's zone (the
 * pods subnet and security group), pod egress leaves through the pods route table's NAT.
 * Variables: aws/amazon-vpc-cni-k8s README (pkg/awsutils/awsutils.go buildENITags for
 * CLUSTER_NAME, pkg/eniconfig/eniconfig.go for ENI_CONFIG_LABEL_DEF).
 */
export const AWS_NODE_ENV: Readonly<Record<string, string>> = Object.freeze({
  // Only with it does the CNI tag its ENIs cluster.k8s.amazonaws.com/name, which the node IAM policy requires.
  CLUSTER_NAME: "__CLUSTER_NAME__",
  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "true",
  // The kubelet sets this label from --node-labels before the cloud controller runs.
  ENI_CONFIG_LABEL_DEF: "topology.kubernetes.io/zone",
  AWS_VPC_K8S_CNI_EXTERNALSNAT: "true",
  // Subnets come from the ENIConfigs only, never from subnet tags.
  ENABLE_SUBNET_DISCOVERY: "false",
});

function vpcCni(s: AddonSettings, cni: VendoredAddon): BundleFile {
  const file = cni.files.find((f) => f.path.endsWith("/aws-k8s-cni.yaml"));
  if (!file) throw new Error(`addons/${cni.source.name}/${cni.source.version} has no aws-k8s-cni.yaml`);
  const where = `addons/${file.path}`;
  const objects = parseObjects(file.text, where);
  const ds = find(objects, "DaemonSet", "aws-node", where);
  const env = Object.fromEntries(
    Object.entries(AWS_NODE_ENV).map(([k, v]) => [k, v === "__CLUSTER_NAME__" ? s.clusterName : v]),
  );
  setEnv(container(podSpec(ds, where), "aws-node", where), env);
  return {
    path: BUNDLE_FILES.vpcCni,
    text: yamlDocs(objects),
    objects,
    source: `${where} (${cni.source.url}), aws-node env: ${Object.keys(AWS_NODE_ENV).join(", ")}`,
  };
}

/** Files of the cloud controller example in the order of its own kustomization.yaml. */
function cloudController(s: AddonSettings, ccm: VendoredAddon): BundleFile {
  const base = `${ccm.source.name}/${ccm.source.version}`;
  const kustomization = ccm.files.find((f) => f.path === `${base}/kustomization.yaml`);
  if (!kustomization) throw new Error(`addons/${base} has no kustomization.yaml`);
  const resources = (parse(kustomization.text) as { resources?: string[] }).resources ?? [];
  const objects = resources.flatMap((r) => {
    const f = ccm.files.find((x) => x.path === `${base}/${r}`);
    if (!f) throw new Error(`addons/${base}/kustomization.yaml lists ${r}, which is not vendored`);
    return parseObjects(f.text, `addons/${f.path}`);
  });
  const where = `addons/${base}`;
  const ds = find(objects, "DaemonSet", "aws-cloud-controller-manager", where);
  const spec: PodSpec = podSpec(ds, where);
  const c = container(spec, "aws-cloud-controller-manager", where);
  const tag = ADDON_VERSIONS.cloudControllerManager[s.kubernetesMinor];
  if (!tag) throw new Error(`addons: no cloud controller image for Kubernetes ${s.kubernetesMinor}`);
  setImageTag(c, CLOUD_CONTROLLER_MANAGER_IMAGE, tag, where);
  // Our cluster's name and the load balancers' security group (cloud.conf, from a ConfigMap).
  addArgs(c, ["--cloud-config=/etc/aws/cloud.conf", `--cluster-name=${s.clusterName}`], where);
  c.volumeMounts = [...(c.volumeMounts ?? []), { name: "cloud-config", mountPath: "/etc/aws", readOnly: true }];
  spec.volumes = [...(spec.volumes ?? []), { name: "cloud-config", configMap: { name: "aws-cloud-config" } }];
  // It initialises nodes (and so the first one), so it must not wait for a Ready node.
  spec.tolerations = [...(spec.tolerations ?? []), { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" }];
  spec.priorityClassName = "system-cluster-critical";
  return {
    path: BUNDLE_FILES.cloudController,
    text: yamlDocs(objects),
    objects,
    source:
      `${where} (${ccm.source.url}), image ${tag}, ` +
      "--cloud-config, --cluster-name, not-ready toleration, priority class",
  };
}

/** One ENIConfig per zone, named after it; the node fills in zone, subnet and security group. */
function eniConfigTemplate(): BundleFile {
  const objects: KubeObject[] = [
    {
      apiVersion: "crd.k8s.amazonaws.com/v1alpha1",
      kind: "ENIConfig",
      metadata: { name: "__ZONE__" },
      spec: { subnet: "__SUBNET__", securityGroups: ["__PODS_SECURITY_GROUP__"] },
    },
  ];
  return {
    path: BUNDLE_FILES.eniConfig,
    text: yamlDocs(objects, true),
    objects,
    source: "src/addons/bundle.ts (ours)",
  };
}

/** The cloud controller's config: the cluster id of its tags, and the security group for the ELBs. */
function cloudConfigTemplate(s: AddonSettings): BundleFile {
  const text = [
    "# AWS cloud controller manager configuration (ConfigMap kube-system/aws-cloud-config)",
    "[Global]",
    `KubernetesClusterID = ${s.clusterName}`,
    "ElbSecurityGroup = __LB_SECURITY_GROUP__",
    "",
  ].join("\n");
  return { path: BUNDLE_FILES.cloudConfig, text, objects: [], source: "src/addons/bundle.ts (ours)" };
}

/**
 * The termination handler's settings in this cluster (env names: its deployment.yaml; behaviour:
 * pkg/config/config.go at the vendored tag). Queue mode reads the queue the stack makes; it drains
 * only instances with the managed tag, which only the workers' group puts on its instances; a drain
 * gets 540 s (NODE_TERMINATION_GRACE_PERIOD, the drain's timeout), inside the workers' 600 s
 * terminate hook, before the handler completes the hook. An event for an instance that never became
 * a node (a failed boot) completes the hook at once instead of holding it for 600 s
 * (DELETE_SQS_MSG_IF_NODE_NOT_FOUND: pkg/interruptionevent/draincordon/handler.go runs the hook's
 * completion when the node is not found only with it set).
 */
export const NODE_TERMINATION_HANDLER_ENV: Readonly<Record<string, string>> = Object.freeze({
  ENABLE_SQS_TERMINATION_DRAINING: "true",
  QUEUE_URL: "__QUEUE_URL__",
  AWS_REGION: "__REGION__",
  CHECK_TAG_BEFORE_DRAINING: "true",
  MANAGED_TAG: NTH_MANAGED_TAG,
  NODE_TERMINATION_GRACE_PERIOD: "540",
  DELETE_SQS_MSG_IF_NODE_NOT_FOUND: "true",
});

/**
 * Where it runs, and how it gets AWS credentials: pods cannot reach the instance metadata service
 * (hop limit 1), host-network pods can, so it runs with the host's network on control-plane nodes
 * and uses their role (which carries its IAM: src/aws/iam/node-lifecycle.ts). The chart's
 * deployment has no hostNetwork and no control-plane toleration. With the host's network its probe
 * port is a host port, so the one replica is replaced by Recreate, not by a surge that a single
 * control-plane node could not place.
 */
function nodeTerminationHandler(s: AddonSettings, nth: VendoredAddon): BundleFile {
  const where = `addons/${nth.source.name}/${nth.source.version}`;
  const objects = nodeTerminationHandlerObjects(nth) as unknown as KubeObject[];
  const deployment = find(objects, "Deployment", NTH_RELEASE, where);
  const spec = podSpec(deployment, where);
  const env = Object.fromEntries(
    Object.entries(NODE_TERMINATION_HANDLER_ENV).map(([k, v]) => [k, v === "__REGION__" ? s.region : v]),
  );
  setEnv(container(spec, NTH_CONTAINER, where), env);
  spec.hostNetwork = true;
  onControlPlaneNodes(spec);
  (deployment.spec as { strategy?: unknown }).strategy = { type: "Recreate" };
  return {
    path: BUNDLE_FILES.nodeTerminationHandler,
    text: yamlDocs(objects),
    objects,
    source:
      `${where} (${nth.source.url}) as typed objects, env: ${Object.keys(NODE_TERMINATION_HANDLER_ENV).join(", ")}, ` +
      "host network on control-plane nodes, Recreate",
  };
}

function podIdentityWebhookFile(v: VendoredAddon, s: AddonSettings): BundleFile {
  const objects = podIdentityWebhookObjects(v, s);
  return {
    path: BUNDLE_FILES.podIdentityWebhook,
    text: yamlDocs(objects, true),
    objects,
    source:
      `addons/${v.source.name}/${v.source.version} (${v.source.url}) without cert-manager and the CSR mode's ` +
      `Role, in kube-system, image ${v.source.version}, ${webhookFlags("<region>").join(" ")}, on control-plane ` +
      "nodes, caBundle the cluster CA",
  };
}

/**
 * Metrics and autoscaling (src/addons/metrics-server.ts, cluster-autoscaler.ts): metrics-server as
 * its release manifest with --kubelet-insecure-tls, and the cluster autoscaler for the workers'
 * group, each unless switched off, with the vendored folders they come from.
 */
function metricsAndAutoscaling(s: AddonSettings): { files: BundleFile[]; vendored: VendoredAddon[] } {
  const files: BundleFile[] = [];
  const vendored: VendoredAddon[] = [];
  if (s.metricsServer !== false) {
    const ms = loadVendored("metrics-server", AUTOSCALING_ADDON_VERSIONS.metricsServer);
    const where = `addons/${ms.source.name}/${ms.source.version}`;
    const objects = metricsServerObjects(ms);
    patchMetricsServer(objects, where);
    const source = `${where} (${ms.source.url}) as its release components.yaml, ${METRICS_SERVER_ARGS.join(" ")}`;
    files.push({ path: BUNDLE_FILES.metricsServer, text: yamlDocs(objects), objects, source });
    vendored.push(ms);
  }
  if (s.clusterAutoscaler !== false) {
    const ca = loadVendored("cluster-autoscaler", AUTOSCALING_ADDON_VERSIONS.clusterAutoscalerManifests);
    const where = `addons/${ca.files[0].path}`;
    const objects = parseObjects(ca.files[0].text, where);
    patchClusterAutoscaler(objects, s, where);
    const source =
      `${where} (${ca.source.url}), image per minor, ${autoDiscoveryValue(s.clusterName)}, ` +
      `${CLUSTER_AUTOSCALER_ADDED_FLAGS.join(" ")}, AWS_REGION, DRA read rule, Ubuntu CA bundle, ` +
      "host network on control-plane nodes, Recreate";
    files.push({ path: BUNDLE_FILES.clusterAutoscaler, text: yamlDocs(objects), objects, source });
    vendored.push(ca);
  }
  return { files, vendored };
}

/** The cached bundle is shared: nothing may change it after its digest is taken. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const cache = new Map<string, AddonBundle>();

/** The bundle for one cluster; equal settings give byte-equal files and the same digest. */
export function addonBundle(s: AddonSettings): AddonBundle {
  const switches =
    `${s.ebsCsiDriver !== false}/${s.metricsServer !== false}/${s.clusterAutoscaler !== false}/` +
    `${s.workloadIdentity === true}`;
  const nodeFiles = sha256(JSON.stringify(s.nodeFiles ?? []));
  const key = `${s.clusterName}/${s.region}/${s.kubernetesMinor}/${switches}/${s.controlPlaneCount}/${nodeFiles}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const cni = loadVendored("vpc-cni", ADDON_VERSIONS.vpcCni);
  const ccm = loadVendored("cloud-controller-manager", ADDON_VERSIONS.cloudControllerManifests);
  const nth = loadVendored("aws-node-termination-handler", ADDON_VERSIONS.nodeTerminationHandler);
  // The EBS CSI driver (src/addons/ebs-csi-driver.ts), left out when switched off.
  const ebs = s.ebsCsiDriver === false ? [] : [loadVendored("aws-ebs-csi-driver", ADDON_VERSIONS.ebsCsiDriver)];
  const extra = metricsAndAutoscaling(s);
  // The pod identity webhook (src/addons/pod-identity-webhook.ts), only with workload identity.
  const webhook = s.workloadIdentity
    ? [loadVendored("amazon-eks-pod-identity-webhook", ADDON_VERSIONS.podIdentityWebhook)]
    : [];
  const files = [
    vpcCni(s, cni),
    eniConfigTemplate(),
    cloudConfigTemplate(s),
    cloudController(s, ccm),
    nodeTerminationHandler(s, nth),
    ...webhook.map((v) => podIdentityWebhookFile(v, s)),
    ...ebs.map((v) =>
      ebsCsiDriverFile(
        v,
        { ...s, workloadIdentity: s.workloadIdentity === true },
        s.workloadIdentity ? BUNDLE_FILES.ebsCsiDriverTemplate : BUNDLE_FILES.ebsCsiDriver,
      ),
    ),
    ...ebs.map(() => defaultStorageClassFile(BUNDLE_FILES.defaultStorageClass)),
    ...extra.files,
    ...nodeFileEntries(s.nodeFiles ?? []),
  ];
  // Every image must be one the kubelet can pull as configured, and pinned.
  const problems = imagePullProblems(files);
  if (problems.length)
    throw new Error(`addons: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ""}`);
  deepFreeze(files);
  const sums = [...files]
    // Byte order, as sha256sum and sort in the C locale.
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${sha256(f.text)}  ${f.path}\n`)
    .join("");
  const bundle: AddonBundle = {
    files,
    sums,
    digest: sha256(sums),
    vendored: [cni, ccm, nth, ...webhook, ...ebs, ...extra.vendored],
  };
  cache.set(key, bundle);
  return bundle;
}

/** Every container image of the bundle's workloads (init containers included), in order, once each. */
export function bundleImages(b: AddonBundle): string[] {
  const images = b.files.flatMap((f) =>
    f.objects.flatMap((o) => {
      // The same pod specs the image pull check reads (Pods, workload and CronJob templates).
      const spec = podSpecOf(o as Parameters<typeof podSpecOf>[0]);
      return spec ? [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c) => c.image) : [];
    }),
  );
  return [...new Set(images)];
}
