/**
 * Where the built infrastructure differs from the spec because AWS forces it (or, for D14, the
 * metrics-server's trust in kubelet certificates, kubeadm does): D1-D14, the README's "Deviations
 * from the spec" table, is generated from this file,
 * and what a working cluster needs beyond the spec's tables (additions). The README tables and
 * the traceability report are rendered from these lists, so the three never disagree.
 */
import { PORTS } from "./ports";
import {
  CLUSTER_AUTOSCALER_ENABLED_TAG_KEY,
  INTERNAL_ELB_SUBNET_TAG_KEY,
  PUBLIC_ELB_SUBNET_TAG_KEY,
  clusterAutoscalerTagKey,
  clusterTagKey,
} from "./tags";

const CLUSTER_TAG = clusterTagKey("<name>");
/** AWS's documentation of the two NLB behaviours addition A9 (the internal API load balancer) depends on. */
const NLB_GUIDE = "https://docs.aws.amazon.com/elasticloadbalancing/latest/network";
const NLB_CLIENT_IP_PRESERVATION = `${NLB_GUIDE}/edit-target-group-attributes.html#client-ip-preservation`;
const NLB_LOOPBACK_TIMEOUT = `${NLB_GUIDE}/load-balancer-troubleshooting.html#loopback-timeout`;

export interface Deviation {
  readonly id: string;
  readonly specSays: string;
  readonly awsFact: string;
  readonly weBuild: string;
}

export const DEVIATIONS: readonly Deviation[] = [
  {
    id: "D1",
    specSays: "API endpoint subnet 172.31.0.0/29",
    awsFact: "AWS subnets are /16 to /28; a /29 is rejected",
    weBuild:
      "172.31.0.0/28 with one AZ; /28s inside 172.31.0.0/24 when spread over AZs. Rules use the tier's real CIDRs",
  },
  {
    id: "D2",
    specSays: 'subnets are "Regional"',
    awsFact: "an AWS subnet lives in one availability zone",
    weBuild:
      "one subnet per tier per AZ (azCount 1-3), each tier's block split evenly; azCount 1 (default) keeps the " +
      "spec's CIDRs",
  },
  {
    id: "D3",
    specSays: 'bastion subnet titled Public but "Subnet Access: Private", no route table',
    awsFact: "SSH from 0.0.0.0/0 needs a public IP and a route to an internet gateway",
    weBuild: "a public bastion subnet with its own route table rtb-bastion (0.0.0.0/0 to the internet gateway)",
  },
  {
    id: "D4",
    specSays: "rule descriptions in Korean with arrows",
    awsFact: "SG rule descriptions allow only a-zA-Z0-9, space and ._-:/()#,@[]+=&;{}!$*, at most 255 characters",
    weBuild: "English ASCII descriptions carrying the same meaning",
  },
  {
    id: "D5",
    specSays: "protocol ALL with ports 30000-32767 / 10256",
    awsFact: "protocol -1 means every port; a port range needs tcp or udp",
    weBuild: "one tcp and one udp rule for each such row",
  },
  {
    id: "D6",
    specSays: '"ICMP 3,4"',
    awsFact: "for ICMP, from_port is the type and to_port the code",
    weBuild: "icmp type 3 code 4 (fragmentation needed: path MTU discovery)",
  },
  {
    id: "D7",
    specSays: 'sg-worker-nodes lists "Bastion CIDR" TCP 22 and 172.31.3.0/24 ssh 22 (the same rule twice)',
    awsFact: "identical rules fail with InvalidPermission.Duplicate",
    weBuild: "one rule",
  },
  {
    id: "D8",
    specSays: 'destination "AWS Services (VPCE)"',
    awsFact: "a gateway endpoint is addressed by its AWS-managed prefix list",
    weBuild: "rules to the S3 gateway endpoint's prefix list",
  },
  {
    id: "D9",
    specSays: "a route table for a pods subnet (rtb-pods), but no pods subnet table",
    awsFact: "VPC-native pod networking needs real subnets",
    weBuild: "pods subnet(s) in 172.31.32.0/19 (the spec's pod CIDR) with rtb-pods",
  },
  {
    id: "D10",
    specSays:
      "names disagree: rtb-KubernetesAPIendpoint / rtb-k8s-api-endpoint, rtb-workernodes / rtb-worker-nodes, sg-lb / " +
      "sg-loadbalancers",
    awsFact: "-",
    weBuild:
      "the route-table and security-group sections' names (rtb-k8s-api-endpoint, rtb-worker-nodes, " +
      "sg-loadbalancers); the others are aliases",
  },
  {
    id: "D11",
    specSays: "port 12250 (worker/pod to API)",
    awsFact: "OKE's own control-plane channel; kubeadm does not use it",
    weBuild: "kept, as the spec asks, and documented as unused by kubeadm",
  },
  {
    id: "D12",
    specSays: "security groups named sg-k8s-api-endpoint, sg-worker-nodes, ...",
    awsFact: "a security group's name may not start with sg-",
    weBuild: "the spec name is the Name tag; the group name is `<cluster>-<role>`",
  },
  {
    id: "D13",
    specSays: "security group rules written as CIDRs",
    awsFact: "the AWS cloud controller adds its own rules to node groups at run time",
    weBuild:
      "standalone aws_vpc_security_group_ingress_rule / _egress_rule resources, never inline blocks, so an apply " +
      "does not strip them",
  },
  {
    id: "D14",
    specSays:
      "(beyond the spec) the metrics-server add-on, which by default verifies each kubelet's serving certificate",
    awsFact:
      "not AWS but kubeadm: kubelets serve a self-signed certificate (serverTLSBootstrap false); signed ones need " +
      "an approver of their certificate requests, which this cluster does not run",
    weBuild:
      "metrics-server with --kubelet-insecure-tls: still TLS, but it does not check which kubelet answers on a " +
      "node's address (one that could would see its token, which only reads metrics, pods and nodes); in the VPC " +
      "only the node's own interface has that address, and the API server does not verify kubelets either " +
      "(docs/certificates.md). Signed serving certificates with an approver would let the flag go",
  },
];

/**
 * One addition (A1, ...): what it adds, why a working cluster needs it, and the switch that builds it.
 * The security-group additions (security-additions.ts) are these plus the rows they add.
 */
export interface Addition<Switch extends string = string> {
  readonly id: string;
  /** What the addition is, in a few words (a security addition's rows say its exact rules). */
  readonly what: string;
  /** Why a working cluster needs it. */
  readonly why: string;
  /** `always`, or the configuration setting that builds it. */
  readonly switch: "always" | Switch;
}

export const NETWORK_ADDITIONS: readonly Addition[] = [
  {
    id: "A1",
    what: "rtb-worker-nodes: 0.0.0.0/0 to the NAT gateway",
    why:
      "nodes install containerd/kubeadm and pull images at boot; without it the workers are air-gapped and need a " +
      "pre-baked image and ECR endpoints",
    switch: "bootstrapEgress",
  },
  {
    id: "A2",
    what: "NAT gateway in the loadbalancers subnet (one, or one per AZ)",
    why: "a NAT gateway must sit in a public subnet; the loadbalancers subnet is the spec's public tier",
    switch: "natGateways",
  },
  {
    id: "A3",
    what:
      `subnet tags \`${CLUSTER_TAG}=owned\`, ${PUBLIC_ELB_SUBNET_TAG_KEY}=1 (loadbalancers), ` +
      `${INTERNAL_ELB_SUBNET_TAG_KEY}=1 (workers)`,
    why: "the AWS cloud controller picks load balancer subnets by these tags",
    switch: "always",
  },
];

export const CLUSTER_ADDITIONS: readonly Addition[] = [
  {
    id: "A9",
    what:
      `an internal NLB on tcp ${PORTS.kubeApiserver} in the API endpoint subnet(s): kubeadm's controlPlaneEndpoint; ` +
      "instance targets registered by the control-plane auto scaling groups (the node that runs kubeadm init " +
      "registers itself first), with client IP preservation off; " +
      "HTTPS /readyz health check; it carries sg-k8s-api-endpoint",
    why:
      "one stable, private address for the API across control-plane nodes that come and go. With client IP " +
      `preservation off a target sees the NLB's address as the source (AWS: ${NLB_CLIENT_IP_PRESERVATION}), ` +
      "so a control-plane node that dials its own NLB does not time out as AWS documents for preserved client IPs " +
      `(${NLB_LOOPBACK_TIMEOUT})`,
    switch: "always",
  },
  {
    id: "A10",
    what:
      "SSM parameters under /k8s/<cluster>/: api-endpoint, pods/subnets, pods/security-group, " +
      "load-balancer/security-group, assets/bucket, api-target-group, node-termination/queue-url, " +
      "workload-identity/ebs-csi-controller-role-arn (String, Terraform); init/lock (the " +
      "boot election); join/token, join/certificate-key (SecureString), join/ca-cert-hash, " +
      "cluster/kubernetes-version and join/api-endpoint (which deployment they belong to), written by the " +
      "control-plane nodes; secrets/encryption-keys and secrets/service-account-key (SecureString, made once " +
      "by the node that creates the cluster, control-plane nodes only)",
    why:
      "user-data holds only names; join secrets, the Secrets encryption keys and the service-account signing " +
      "key are made on the nodes and never pass through Terraform state; joining nodes install the cluster's " +
      "own Kubernetes version",
    switch: "always",
  },
  {
    id: "A11",
    what:
      "IAM roles and instance profiles per node role: cloud controller, VPC CNI (ENI changes only inside the " +
      "cluster's VPC), ECR read, bootstrap parameters, add-on bundle read (control plane), Session Manager, the " +
      "nodes' own lifecycle (hooks, health, boot-failure metric), the node termination handler (control plane), " +
      "publishing the workload identity issuer's two documents (control plane); the EBS CSI controller's own role " +
      "(A17, the EBS CSI driver, through A20, workload identity); " +
      "mutations scoped to the cluster tag or to the cluster's named groups, queue, target group and parameters; " +
      "no * actions",
    why: "the AWS cloud controller, the VPC CNI and the kubelet's ECR credential provider call AWS APIs from the nodes",
    switch: "always",
  },
  {
    id: "A12",
    what: `instance and volume tags \`${CLUSTER_TAG}=owned\` on control-plane and worker nodes (not the bastion)`,
    why: "the cloud controller recognises the cluster's instances by this tag (and the subnets by A3's subnet tags)",
    switch: "always",
  },
  {
    id: "A14",
    what:
      "an assets bucket (Terraform-made unique name, versioned, KMS-encrypted, private, TLS only) holding the " +
      "cluster bundle under addons/<SHA-256>/: the add-on manifests and the control-plane nodes' scripts and units",
    why:
      "nodes get add-ons from S3 over the S3 gateway endpoint (the spec's AWS services via VPC endpoint), never " +
      "from GitHub, and user data stays within its 12 KiB budget",
    switch: "always",
  },
  {
    id: "A15",
    what:
      "auto scaling groups: one per control-plane slot (exactly one node, pinned to an API endpoint subnet) and " +
      "the workers' group; on each a launch hook (a node completes it once Ready; 1200 s, then ABANDON), a " +
      "terminate hook (600 s, then CONTINUE), an instance refresh when the launch template changes (control plane: " +
      "launch before terminate), and a CloudWatch alarm on the nodes' boot-failure metric",
    why:
      "failed or lost nodes are replaced without a person, `terraform apply` rolls nodes one at a time and waits " +
      "for real readiness, and a configuration that cannot boot shows as an alarm instead of a silent loop",
    switch: "always",
  },
  {
    id: "A16",
    what:
      "the AWS Node Termination Handler (queue mode, on the control-plane nodes): an SQS queue (SSE, only " +
      "EventBridge may send, only from its rules) and EventBridge rules for the workers' terminate hook, spot " +
      "interruption, instance state change and AWS Health scheduled change",
    why:
      "a worker is cordoned and drained (PodDisruptionBudgets respected) before its instance goes, whether an " +
      "instance refresh, a scale-in or EC2 takes it",
    switch: "always",
  },
  {
    id: "A17",
    what:
      "the AWS EBS CSI driver (controller on the control-plane nodes with a role of its own through workload " +
      "identity, A20, whose ARN Terraform writes to SSM; with workloadIdentity.enabled false, with the host network " +
      "and the control-plane role; node plugin on every node) and the default StorageClass gp3 (encrypted, " +
      "WaitForFirstConsumer, expandable); its policy creates volumes and snapshots only with the driver's tag and " +
      "the cluster tag, changes, attaches and deletes only those carrying both, attaches only to the cluster's " +
      "instances",
    why:
      "PersistentVolumeClaims get EBS volumes. Pods cannot reach the instance metadata service (hop limit 1), so " +
      "the controller's credentials come from its ServiceAccount's role, which only that ServiceAccount may assume",
    switch: "addons.ebsCsi",
  },
  {
    id: "A18",
    what: "metrics-server (kubernetes-sigs/metrics-server release manifest, on the workers): the metrics.k8s.io API",
    why: "`kubectl top` and HorizontalPodAutoscalers on CPU and memory need it",
    switch: "addons.metricsServer",
  },
  {
    id: "A19",
    what:
      "the cluster autoscaler for the workers' groups (one per availability zone, kept level by " +
      "`--balance-similar-node-groups`; the release of the Kubernetes minor, host network on the " +
      `control-plane nodes): each group's tags \`${CLUSTER_AUTOSCALER_ENABLED_TAG_KEY}\` and ` +
      `\`${clusterAutoscalerTagKey("<name>")}\`, \`ignore_changes\` on its desired capacity, and IAM on the ` +
      "control-plane role (describes; SetDesiredCapacity and " +
      "TerminateInstanceInAutoScalingGroup on those groups only, while they have the tag)",
    why:
      "pending pods get a worker and idle workers go, within worker_min_size and worker_max_size; it drains a " +
      "worker before it terminates it (the node termination handler then finds it empty)",
    switch: "addons.clusterAutoscaler",
  },
  {
    id: "A20",
    what:
      "workload identity's issuer: an S3 bucket `<cluster>-oidc-<region>` (ACLs off, SSE-S3) whose policy lets " +
      "anyone read exactly `.well-known/openid-configuration` and `openid/v1/jwks` over TLS; an IAM OIDC provider " +
      "for `https://<bucket>.s3.<region>.amazonaws.com` with client id sts.amazonaws.com; the API server's " +
      "--service-account-issuer (that URL first), --service-account-jwks-uri and --api-audiences; the control-plane " +
      "role may PutObject those two keys only, which every control-plane node publishes after it joins; the EKS pod " +
      "identity webhook (on the control-plane nodes, serving certificate signed by the cluster CA) gives pods of an " +
      "annotated ServiceAccount a token for sts.amazonaws.com and the role's variables",
    why:
      "pods get credentials of a role of their own (AssumeRoleWithWebIdentity) instead of the node's, which IMDSv2 " +
      "with one hop keeps from them; STS fetches the issuer's documents without credentials, so they are public. " +
      "The signing key leaves the control-plane nodes only as ciphertext to SSM (A23) and as its public key set",
    switch: "workloadIdentity.enabled",
  },
  {
    id: "A21",
    what:
      "Spot workers (optional): a mixed instances policy on the workers' group over 2-40 instance types of one " +
      "architecture and, with the autoscaler, one size (price-capacity-optimized, an On-Demand base and " +
      "percentage), capacity rebalancing; every node labels itself `node.kubernetes.io/lifecycle` (spot or " +
      "on-demand) from the instance metadata at boot",
    why:
      "workers at the Spot price for workloads that tolerate interruption; the termination handler drains a Spot " +
      "worker on its interruption warning, capacity rebalancing replaces an at-risk one before the handler drains it " +
      "through its terminate hook, and workloads can select or avoid Spot nodes",
    switch: "workers.spot",
  },
  {
    id: "A22",
    what:
      "the API audit log on every control-plane node: metadata of every request (no request or response bodies, " +
      "so never a Secret's data), the kubelets', kube-proxy's and leader elections' routine calls left out; a " +
      "file the API server rotates at 100 MB, 10 files kept, none older than 30 days (docs/security.md)",
    why: "who did what to which object, and when, is the first question after an incident",
    switch: "always",
  },
  {
    id: "A23",
    what:
      "Secrets encrypted at rest (secretbox) with a key the first control-plane node makes and keeps only in an " +
      "SSM SecureString, as it keeps the service-account signing key; the other control-plane nodes fetch both, " +
      "and neither is in user data, the add-on bundle or Terraform state; both SecureStrings under the cluster's " +
      "own KMS key alias/<cluster>-cluster-secrets, which only the control-plane role may use (via SSM, for them)",
    why:
      "etcd and every etcd snapshot in S3 hold Secrets as ciphertext, and every API server signs service-account " +
      "tokens with the same key, so tokens stay valid when a control-plane node is replaced; under aws/ssm every " +
      "principal of the account allowed to read the parameters could decrypt them and mint tokens",
    switch: "always",
  },
];
