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
 * AWS VPC CNI release (git tag of aws/amazon-vpc-cni-k8s): its config/master/aws-k8s-cni.yaml is
 * applied as published, and its images (below) are pulled from ECR on every node first.
 */
const VPC_CNI_VERSION = "v1.22.4";

export const ADDON_VERSIONS: {
  readonly vpcCni: string;
  readonly cloudControllerManager: Record<string, string>;
} = Object.freeze({
  vpcCni: VPC_CNI_VERSION,
  cloudControllerManager: CLOUD_CONTROLLER_MANAGER as Record<string, string>,
});

/** Minors with both a pkgs.k8s.io stable repository and a published cloud controller image. */
export const SUPPORTED_KUBERNETES_MINORS: readonly string[] = Object.freeze(Object.keys(CLOUD_CONTROLLER_MANAGER));

/**
 * The newest of them. pkgs.k8s.io also serves v1.36 and v1.37 (isv:kubernetes:core:stable:*), but
 * the cloud controller has no image for them; 1.35 is also the last minor that supports the
 * containerd 1.x that Ubuntu 24.04 first shipped.
 */
export const DEFAULT_KUBERNETES_MINOR = "1.35";

export const CLOUD_CONTROLLER_MANAGER_IMAGE = "registry.k8s.io/provider-aws/cloud-controller-manager";

/** Where the pinned VPC CNI manifest and its images come from. */
export const VPC_CNI = Object.freeze({
  manifestUrl: `https://raw.githubusercontent.com/aws/amazon-vpc-cni-k8s/${VPC_CNI_VERSION}/config/master/aws-k8s-cni.yaml`,
  /** The manifest's images live in EKS's ECR account in us-west-2, pullable from any commercial region. */
  ecrRegion: "us-west-2",
  /** Exactly the images the manifest at that tag references. */
  images: Object.freeze([
    `602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni-init:${VPC_CNI_VERSION}`,
    `602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:${VPC_CNI_VERSION}`,
    "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon/aws-network-policy-agent:v1.4.0",
  ]),
});
