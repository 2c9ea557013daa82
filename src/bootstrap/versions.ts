/**
 * Pinned versions of what the nodes install at boot, and how each pin was confirmed. Change a pin
 * only together with its evidence: a tag that exists is not an image that exists.
 */

/**
 * AWS cloud controller manager image tag per Kubernetes minor: the newest patch of each minor that
 * is promoted to registry.k8s.io/provider-aws/cloud-controller-manager (kubernetes/k8s.io,
 * registry.k8s.io/images/k8s-staging-provider-aws/images.yaml). cloud-provider-aws also has tags
 * v1.36.0 and v1.36.1, but no image was promoted for them, so 1.36 is not offered.
 */
const CLOUD_CONTROLLER_MANAGER: Readonly<Record<string, string>> = Object.freeze({
  "1.33": "v1.33.4",
  "1.34": "v1.34.3",
  "1.35": "v1.35.2",
});

/**
 * AWS VPC CNI release: addons/vpc-cni/<version>/ holds its config/master/aws-k8s-cni.yaml as
 * published (SOURCE.json records the commit and SHA-256). Its images are read from that file.
 */
const VPC_CNI_VERSION = "v1.23.0";

/**
 * The cloud controller's example manifests (kubernetes/cloud-provider-aws
 * examples/existing-cluster/base, byte-identical at v1.33.4, v1.34.3 and v1.35.2), vendored from
 * this tag; the image tag per minor above replaces the example's.
 */
const CLOUD_CONTROLLER_MANIFEST_VERSION = "v1.35.2";

/**
 * The AWS Node Termination Handler: its newest release (aws/aws-node-termination-handler tags:
 * v1.25.6 is the newest v1; v2.0.0-alpha and -beta are pre-releases of another design). Its chart
 * at this tag is vendored under addons/aws-node-termination-handler/<version>/; the image
 * public.ecr.aws/aws-ec2/aws-node-termination-handler:v1.25.6 follows from its values.yaml and
 * Chart.yaml appVersion.
 */
const NODE_TERMINATION_HANDLER_VERSION = "v1.25.6";

/**
 * The AWS EBS CSI driver: its newest release (kubernetes-sigs/aws-ebs-csi-driver tags; its README
 * supports every Kubernetes minor the Kubernetes project or EKS supports, 1.33 to 1.35 included).
 * Its kustomize base is vendored under addons/aws-ebs-csi-driver/<version>/ from the release
 * commit (SOURCE.json says why not the tag's); the images are the ones those files name, on ECR
 * Public: public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.64.0 and the sidecars under
 * public.ecr.aws/csi-components/.
 */
const EBS_CSI_DRIVER_VERSION = "v1.64.0";

/**
 * The EKS pod identity webhook: its newest release tag (aws/amazon-eks-pod-identity-webhook, v0.6.17,
 * commit c1be3015). Its image is the tag on ECR Public,
 * public.ecr.aws/eks/amazon-eks-pod-identity-webhook:v0.6.17 (.github/workflows/build.yaml pushes
 * each tag there; README "Container Images"); the webhook runs in any Kubernetes from 1.12 on
 * (SELF_HOSTED_SETUP.md).
 */
const POD_IDENTITY_WEBHOOK_VERSION = "v0.6.17";

export const ADDON_VERSIONS: {
  readonly vpcCni: string;
  readonly cloudControllerManager: Record<string, string>;
  readonly cloudControllerManifests: string;
  readonly nodeTerminationHandler: string;
  readonly ebsCsiDriver: string;
  readonly podIdentityWebhook: string;
} = Object.freeze({
  vpcCni: VPC_CNI_VERSION,
  cloudControllerManager: CLOUD_CONTROLLER_MANAGER as Record<string, string>,
  cloudControllerManifests: CLOUD_CONTROLLER_MANIFEST_VERSION,
  nodeTerminationHandler: NODE_TERMINATION_HANDLER_VERSION,
  ebsCsiDriver: EBS_CSI_DRIVER_VERSION,
  podIdentityWebhook: POD_IDENTITY_WEBHOOK_VERSION,
});

/**
 * Metrics and autoscaling add-ons, vendored under addons/<name>/<version>/.
 *
 * - metrics-server v0.8.1: the newest release whose compatibility matrix (its README at the tag)
 *   covers every supported minor (0.8.x: 1.31+; 0.9.x supports 1.34+ only). Its image
 *   registry.k8s.io/metrics-server/metrics-server:v0.8.1 is promoted (kubernetes/k8s.io #9026).
 * - The cluster autoscaler: one release per Kubernetes minor (its README: "use Cluster Autoscaler
 *   with the Kubernetes control plane version for which it was meant"), the newest patch of each,
 *   all promoted to registry.k8s.io by kubernetes/k8s.io #9760 (2026-07-22; staging digests
 *   v1.33.6 sha256:7b44e0f0..., v1.34.5 sha256:5c3a5644..., v1.35.2 sha256:aac369dc...). Its AWS
 *   example manifest is byte-identical at the three tags and is vendored from cluster-autoscaler-1.35.2.
 */
export const AUTOSCALING_ADDON_VERSIONS: {
  readonly metricsServer: string;
  readonly clusterAutoscaler: Readonly<Record<string, string>>;
  readonly clusterAutoscalerManifests: string;
} = Object.freeze({
  metricsServer: "v0.8.1",
  clusterAutoscaler: Object.freeze({ "1.33": "v1.33.6", "1.34": "v1.34.5", "1.35": "v1.35.2" }),
  clusterAutoscalerManifests: "v1.35.2",
});
export const METRICS_SERVER_IMAGE = "registry.k8s.io/metrics-server/metrics-server";
export const CLUSTER_AUTOSCALER_IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler";

/** Minors with both a pkgs.k8s.io stable repository and a published cloud controller image. */
export const SUPPORTED_KUBERNETES_MINORS: readonly string[] = Object.freeze(Object.keys(CLOUD_CONTROLLER_MANAGER));

/**
 * The newest of them. pkgs.k8s.io also serves v1.36 and v1.37 (isv:kubernetes:core:stable:*), but
 * the cloud controller has no image for them; 1.35 is also the last minor that supports the
 * containerd 1.x that Ubuntu 24.04 first shipped.
 */
export const DEFAULT_KUBERNETES_MINOR = "1.35";

export const CLOUD_CONTROLLER_MANAGER_IMAGE = "registry.k8s.io/provider-aws/cloud-controller-manager";

/**
 * AWS's kubelet image credential provider for ECR (kubernetes/cloud-provider-aws
 * cmd/ecr-credential-provider). cloud-provider-aws publishes no binary for the releases of the
 * cloud controller above (v1.33.4, v1.34.3, v1.35.2: no kubernetes/k8s.io promotion manifest, and
 * GitHub releases hold source only); v1.31.7 is the newest release whose binaries are both served
 * by artifacts.k8s.io and whose SHA-256 can be read from upstream here:
 * kubernetes/k8s.io artifacts/manifests/k8s-staging-provider-aws/v1.31.7.yaml, the same values as
 * kops pkg/assets/assetdata/ecr.yaml (kops' default version). The kubelet talks to it through
 * credentialprovider.kubelet.k8s.io/v1, which every supported kubelet speaks.
 */
export const ECR_CREDENTIAL_PROVIDER = Object.freeze({
  name: "ecr-credential-provider",
  version: "v1.31.7",
  /** Per Debian architecture (dpkg --print-architecture). */
  url: (arch: "amd64" | "arm64") =>
    `https://artifacts.k8s.io/binaries/cloud-provider-aws/v1.31.7/linux/${arch}/ecr-credential-provider-linux-${arch}`,
  sha256: Object.freeze({
    amd64: "7644623e4ec9ad443ab352a8a5800a5180ee28741288be805286ba72bb8e7164",
    arm64: "1980e3a038cb16da48a137743b31fb81de6c0b59fa06c206c2bc20ce0a52f849",
  }),
});

/**
 * The Kubernetes patch release each minor installs (kubelet, kubeadm, kubectl from pkgs.k8s.io,
 * packages "<version>-*"); cri-tools comes from the same repository at "<minor>.*". The first
 * control-plane node initialises the cluster with it; joining nodes install the version the
 * cluster publishes in SSM instead, so that no kubelet is newer than the API servers. The newest
 * patch of each minor found in stored upstream sources (kubernetes-sigs/kubespray's kubelet
 * checksum tables: 1.35.8 and 1.34.11 on master in August 2026, 1.33.13 on release-2.29, 1.33's
 * last). pkgs.k8s.io keeps every patch of a minor, so a pin stays installable.
 */
export const KUBERNETES_PATCH: Readonly<Record<string, string>> = Object.freeze({
  "1.33": "1.33.13",
  "1.34": "1.34.11",
  "1.35": "1.35.8",
});

/**
 * containerd from Ubuntu's archive, held at one major: noble-updates ships 2.2.x today
 * (2.2.1-0ubuntu1~24.04.x). Ubuntu keeps only the newest build in -updates, so a pin of one build
 * or one minor would stop new nodes once it moves on; the nodes take any 2.x from 2.1 on (the
 * configuration is version 3, with bin_dirs, which 2.3 still reads) and refuse 1.7.
 */
export const CONTAINERD_SERIES = "2";
