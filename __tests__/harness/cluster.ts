/**
 * The cluster a harness node boots into: what Terraform made before any node boots (SSM parameters,
 * the assets bucket, the API load balancer), what a first control-plane node publishes, and the
 * instances, groups and etcd members around the node; and the bootstrap settings of a node of it.
 */
import { generateKeyPairSync, randomBytes } from "crypto";
import { BootstrapSettings, NodeRole } from "../../src/bootstrap";

/** The bucket Terraform created for the add-on bundles, as SSM assets/bucket names it. */
export const ASSETS_BUCKET = "k8s-cluster-assets-20261201000000000000000001";

/** What the stub artifacts.k8s.io serves for the credential provider, per architecture. */
export const credentialProviderBytes = (arch: string) => `ecr-credential-provider ${arch}`;

export const PREFIX = "/k8s/k8s-cluster";
export const API_ENDPOINT = "internal-k8s-api-0123456789.elb.ap-northeast-2.amazonaws.com";

/** The queue the node termination handler reads (aws_sqs_queue.node_termination_queue's URL). */
export const NODE_TERMINATION_QUEUE_URL =
  "https://sqs.ap-northeast-2.amazonaws.com/123456789012/k8s-cluster-node-termination";

/** The API load balancer's target group (aws_lb_target_group.api_targets), in the format of its ARN. */
export const API_TARGET_GROUP_ARN =
  "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/k8s-cluster-api/0123456789abcdef";

/** The EBS CSI controller's role (aws_iam_role.ebs_csi_controller_role), as its ARN looks. */
export const EBS_CSI_ROLE_ARN = "arn:aws:iam::123456789012:role/k8s-cluster-ebs-csi-controller";

/** Parameters Terraform writes before any node boots. */
export const TERRAFORM_PARAMETERS: Readonly<Record<string, string>> = {
  [`${PREFIX}/api-endpoint`]: API_ENDPOINT,
  [`${PREFIX}/api-target-group`]: API_TARGET_GROUP_ARN,
  [`${PREFIX}/pods/subnets`]: "ap-northeast-2a=subnet-0aaa1111,ap-northeast-2c=subnet-0ccc3333",
  [`${PREFIX}/pods/security-group`]: "sg-0f00d",
  [`${PREFIX}/load-balancer/security-group`]: "sg-0ba1a",
  [`${PREFIX}/assets/bucket`]: ASSETS_BUCKET,
  [`${PREFIX}/node-termination/queue-url`]: NODE_TERMINATION_QUEUE_URL,
  [`${PREFIX}/workload-identity/ebs-csi-controller-role-arn`]: EBS_CSI_ROLE_ARN,
};

/** The secrets (and CA hash) of what a first control-plane node publishes (as the stubs of kubeadm produce them). */
export const JOIN_SECRETS: Readonly<Record<string, string>> = {
  [`${PREFIX}/join/token`]: "abcdef.0123456789abcdef",
  [`${PREFIX}/join/certificate-key`]: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
  [`${PREFIX}/join/ca-cert-hash`]: "sha256:1111111111111111111111111111111111111111111111111111111111111111",
};

/**
 * The cluster secrets the first control-plane node creates before kubeadm init, made as it makes them
 * (k8s-cluster-secrets: 32 random bytes in base64 under a key name; an RSA 2048 key in PEM), new
 * for every test run.
 */
export const CLUSTER_SECRETS: Readonly<Record<string, string>> = {
  [`${PREFIX}/secrets/encryption-keys`]: `key-20261201t000000z:${randomBytes(32).toString("base64")}`,
  [`${PREFIX}/secrets/service-account-key`]: generateKeyPairSync("rsa", { modulusLength: 2048 })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString()
    .trim(),
};

/** The Kubernetes release the nodes install (src/bootstrap/versions.ts KUBERNETES_PATCH for 1.35). */
export const PINNED_VERSION = "1.35.8";

/**
 * What a first control-plane node publishes: the cluster and join secrets, its version, and last the
 * API endpoint they belong to.
 */
export const JOIN_PARAMETERS: Readonly<Record<string, string>> = {
  ...CLUSTER_SECRETS,
  ...JOIN_SECRETS,
  [`${PREFIX}/cluster/kubernetes-version`]: `v${PINNED_VERSION}`,
  [`${PREFIX}/join/api-endpoint`]: API_ENDPOINT,
};

/** Join parameters a destroyed deployment of the same cluster name left in SSM. */
export const OTHER_API_ENDPOINT = "internal-k8s-api-9876543210.elb.ap-northeast-2.amazonaws.com";
export const STALE_JOIN_PARAMETERS: Readonly<Record<string, string>> = {
  [`${PREFIX}/join/token`]: "zyxwvu.9876543210zyxwvu",
  [`${PREFIX}/join/certificate-key`]: "9".repeat(64),
  [`${PREFIX}/join/ca-cert-hash`]: `sha256:${"2".repeat(64)}`,
  [`${PREFIX}/cluster/kubernetes-version`]: "v1.34.2",
  [`${PREFIX}/join/api-endpoint`]: OTHER_API_ENDPOINT,
};

/** What a cluster with etcd backups passes (the bucket name as the stack would make it). */
export const ETCD_BACKUP = {
  bucket: "k8s-cluster-etcd-backup-ap-northeast-2",
  prefix: "k8s-cluster/etcd",
  onCalendar: "hourly",
} as const;

/** What a cluster with workload identity passes (the issuer bucket's default name for k8s-cluster). */
export const WORKLOAD_IDENTITY = { bucket: "k8s-cluster-oidc-ap-northeast-2" } as const;

/** The etcd container's id as the crictl stub reports it. */
export const ETCD_CONTAINER = "3f9d2c4be1a70e5d";

/** The node as IMDS reports it: its instance id and private DNS name (= Node name = etcd member name). */
export const INSTANCE_ID = "i-0a1b2c3d4e5f60718";
export const NODE_NAME = "ip-172-31-8-10.ap-northeast-2.compute.internal";
export const NODE_IP = "172.31.8.10";

/** An instance as IMDS reports it: another node than the default one. */
export interface Identity {
  readonly instanceId: string;
  /** Its private DNS name: the Node's and the etcd member's name. */
  readonly name: string;
  readonly ip: string;
}

/** The auto scaling group a node of the role runs in (one group per control-plane slot, one of workers). */
export const GROUP_OF: Readonly<Record<NodeRole, string>> = {
  "control-plane": "k8s-cluster-control-plane-0",
  worker: "k8s-cluster-workers",
};

/** A scaling activity of the group: how long ago it started, its Cause and StatusMessage. */
export interface ScalingActivity {
  readonly minutesAgo: number;
  readonly cause: string;
  readonly statusMessage?: string;
}

/** An EC2 instance as describe-instances sees it. */
export interface Ec2Instance {
  readonly id: string;
  readonly name: string;
  readonly state: "pending" | "running" | "stopping" | "stopped" | "shutting-down" | "terminated";
}

/** An etcd member; no name and no client URL: unstarted (added, its etcd not yet running). */
export interface EtcdMember {
  readonly id: string;
  readonly name: string;
  readonly ip: string;
  /** The instance its etcd runs on (default: any running instance of its name). */
  readonly instance?: string;
}

export function settingsFor(role: NodeRole, extra: Partial<BootstrapSettings> = {}): BootstrapSettings {
  return {
    clusterName: "k8s-cluster",
    region: "ap-northeast-2",
    kubernetesMinor: "1.35",
    role,
    ssmPrefix: PREFIX,
    podCidr: "172.31.32.0/19",
    serviceCidr: "10.96.0.0/12",
    ...extra,
  };
}
