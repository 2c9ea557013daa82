/**
 * The AWS EBS CSI driver's controller (control-plane nodes; see src/addons/ebs-csi-driver.ts for
 * why it uses their role until workload identity exists). Actions: the driver's documented policy
 * at the vendored release (kubernetes-sigs/aws-ebs-csi-driver docs/AmazonEBSCSIDriverPolicyV2.json,
 * the one docs/install.md points to; docs/example-iam-policy.json is its older, looser form),
 * checked against the EC2 calls in pkg/cloud/cloud.go. Narrower than upstream:
 *
 * - a volume or snapshot is created only with both the driver's tag (ebs.csi.aws.com/cluster=true)
 *   and this cluster's tag (kubernetes.io/cluster/<name>=owned, from --k8s-tag-cluster-id) in the
 *   request, and changed, attached, detached, snapshotted or deleted only when it carries both:
 *   the nodes' own root volumes carry the cluster tag but not the driver's, another cluster's
 *   volumes the driver's but not this cluster's;
 * - volumes attach only to this cluster's instances (the cluster tag on the instance);
 * - ARNs in the cluster's region and account;
 * - left out: ec2:CopyVolumes (volume cloning: its source volume cannot be told apart from the
 *   new one in a policy that allows the copy, so any volume of the account could be copied into
 *   the cluster) and the statements for volumes of the in-tree plugin (kubernetes.io/created-for
 *   tags), which a new cluster does not have. The driver's dry-run CreateVolume that probes a zone's
 *   IOPS limits (pkg/cloud/cloud.go getVolumeLimits, tagged only CSIVolumeName) is denied, so it
 *   uses its built-in limits instead.
 */
import { EBS_CSI_CLUSTER_NAME_TAG_KEY, EBS_CSI_MANAGED_TAG, CLUSTER_TAG_VALUES, clusterTagKey } from "../tags";
import { PolicyContext, PolicyStatement, check, ec2 } from "./policy";

/** Tags a create request must set: the driver's and this cluster's. */
function createsManaged(ctx: PolicyContext): Record<string, string> {
  return {
    [`aws:RequestTag/${EBS_CSI_MANAGED_TAG.key}`]: EBS_CSI_MANAGED_TAG.value,
    [`aws:RequestTag/${clusterTagKey(ctx.clusterName)}`]: CLUSTER_TAG_VALUES.owned,
  };
}

/** Tags an existing volume or snapshot must carry: the driver's and this cluster's. */
function managed(ctx: PolicyContext): Record<string, string> {
  return {
    [`aws:ResourceTag/${EBS_CSI_MANAGED_TAG.key}`]: EBS_CSI_MANAGED_TAG.value,
    [`aws:ResourceTag/${clusterTagKey(ctx.clusterName)}`]: CLUSTER_TAG_VALUES.owned,
  };
}

export function ebsCsiDriverStatements(ctx: PolicyContext): PolicyStatement[] {
  check(ctx);
  const volumes = ec2(ctx, "volume/*");
  const snapshots = ec2(ctx, "snapshot/*");
  return [
    {
      // Read-only; EC2 Describe* actions accept no resource ARN.
      Sid: "EbsCsiDescribe",
      Effect: "Allow",
      Action: [
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeInstances",
        "ec2:DescribeSnapshots",
        "ec2:DescribeVolumeStatus",
        "ec2:DescribeVolumes",
        "ec2:DescribeVolumesModifications",
      ],
      Resource: "*",
    },
    {
      // The new volume or snapshot only: a statement per resource type, so that the request's
      // tags never stand in for the source's (the volume a snapshot is taken of, the snapshot a
      // volume is restored from), which the manage statements below require to be its own.
      Sid: "EbsCsiCreateVolumes",
      Effect: "Allow",
      Action: ["ec2:CreateVolume"],
      Resource: volumes,
      Condition: { StringEquals: createsManaged(ctx) },
    },
    {
      Sid: "EbsCsiCreateSnapshots",
      Effect: "Allow",
      Action: ["ec2:CreateSnapshot"],
      Resource: snapshots,
      Condition: { StringEquals: createsManaged(ctx) },
    },
    {
      // Tags given at creation need ec2:CreateTags too; allowed only inside those creates.
      Sid: "EbsCsiTagOnCreate",
      Effect: "Allow",
      Action: ["ec2:CreateTags"],
      Resource: [volumes, snapshots],
      Condition: { StringEquals: { "ec2:CreateAction": ["CreateSnapshot", "CreateVolume"], ...createsManaged(ctx) } },
    },
    {
      // Its own volumes: attach, detach, resize or retype, snapshot, delete.
      Sid: "EbsCsiManageVolumes",
      Effect: "Allow",
      Action: ["ec2:AttachVolume", "ec2:CreateSnapshot", "ec2:DeleteVolume", "ec2:DetachVolume", "ec2:ModifyVolume"],
      Resource: volumes,
      Condition: { StringEquals: managed(ctx) },
    },
    {
      // Its own snapshots: restore a volume from one, fast restore, lock, delete.
      Sid: "EbsCsiManageSnapshots",
      Effect: "Allow",
      Action: ["ec2:CreateVolume", "ec2:DeleteSnapshot", "ec2:EnableFastSnapshotRestores", "ec2:LockSnapshot"],
      Resource: snapshots,
      Condition: { StringEquals: managed(ctx) },
    },
    {
      // Attaching and detaching also authorize the instance: only this cluster's nodes.
      Sid: "EbsCsiAttachToClusterInstances",
      Effect: "Allow",
      Action: ["ec2:AttachVolume", "ec2:DetachVolume"],
      Resource: ec2(ctx, "instance/*"),
      Condition: { StringEquals: { [`aws:ResourceTag/${clusterTagKey(ctx.clusterName)}`]: CLUSTER_TAG_VALUES.owned } },
    },
    {
      // Tags of its own volumes (a VolumeAttributesClass may change them), never the tags that
      // make a volume the driver's and the cluster's.
      Sid: "EbsCsiRetagVolumes",
      Effect: "Allow",
      Action: ["ec2:CreateTags", "ec2:DeleteTags"],
      Resource: volumes,
      Condition: {
        StringEquals: managed(ctx),
        Null: { "aws:TagKeys": "false" },
        "ForAllValues:StringNotEquals": {
          "aws:TagKeys": [
            EBS_CSI_MANAGED_TAG.key,
            EBS_CSI_CLUSTER_NAME_TAG_KEY,
            clusterTagKey(ctx.clusterName),
            "kubernetes.io/created-for/pvc/name",
          ],
        },
      },
    },
  ];
}
