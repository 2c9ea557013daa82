/**
 * Instance roles and profiles per role: control plane (cloud controller, VPC CNI, ECR, bootstrap
 * parameters incl. publishing the join parameters and the cluster secrets with their KMS key, Session
 * Manager, the EBS CSI controller), workers (VPC CNI, ECR,
 * reading the bootstrap parameters, Session Manager) and bastion (Session Manager only). Each
 * concern is its own managed policy (6,144 characters each) so no role hits the inline limit,
 * except those MANAGED_POLICY_OF groups, so no role has more managed policies than AWS attaches.
 * Statements come from src/aws/iam/: named actions only, scoped to the cluster's tag.
 */
import { Construct } from "constructs";
import { Fn } from "cdktf";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { PolicyContext, PolicyStatement, policyDocument } from "../aws/iam/policy";
import { cloudControllerStatements } from "../aws/iam/cloud-controller";
import { vpcCniStatements } from "../aws/iam/vpc-cni";
import { ecrReadStatements, sessionManagerStatements, ssmParameterStatements } from "../aws/iam/node-access";
import { addonAssetsStatements, etcdBackupStatements, oidcIssuerStatements } from "../aws/iam/buckets";
import {
  LifecyclePolicyContext,
  nodeLifecycleStatements,
  nodeTerminationHandlerStatements,
} from "../aws/iam/node-lifecycle";
import { ebsCsiDriverStatements } from "../aws/iam/ebs-csi-driver";
import { clusterAutoscalerStatements } from "../aws/iam/cluster-autoscaler";
import { named } from "./network";
import { IAM_ROLE_LIMITS } from "../aws/limits";
import {
  EBS_CSI_CONTROLLER_SERVICE_ACCOUNT,
  ServiceAccountRef,
  serviceAccountTrustPolicy,
} from "../aws/iam/workload-roles";
import { workloadRoleName } from "../aws/workload-identity";
import { ClusterSecretsKey } from "./cluster-secrets-key";

export type NodeRoleName = "control-plane" | "workers" | "bastion";
const NODE_ROLES: readonly NodeRoleName[] = ["control-plane", "workers", "bastion"];

/**
 * Concerns that share one managed policy, so that a role stays within the managed policies AWS
 * attaches to a role by default (IAM_ROLE_LIMITS): the two controllers of the workers' group, both
 * on the control-plane nodes, and the two buckets the nodes of the cluster read or write whole objects of
 * (the add-on bundles, the workload identity issuer). Every other concern is a policy of its own name.
 */
export const MANAGED_POLICY_OF: Readonly<Record<string, string>> = Object.freeze({
  "node-termination-handler": "worker-group-controllers",
  "cluster-autoscaler": "worker-group-controllers",
  "addon-assets": "cluster-buckets",
  "oidc-issuer": "cluster-buckets",
});

/** The managed policies of one role: name -> statements, concerns grouped by MANAGED_POLICY_OF. */
export function managedPolicies(concerns: Record<string, PolicyStatement[]>): Map<string, PolicyStatement[]> {
  const documents = new Map<string, PolicyStatement[]>();
  for (const [concern, statements] of Object.entries(concerns)) {
    const name = MANAGED_POLICY_OF[concern] ?? concern;
    documents.set(name, [...(documents.get(name) ?? []), ...statements]);
  }
  return documents;
}

export interface NodeIamProps {
  readonly clusterName: string;
  readonly region: string;
  readonly ssmPrefix: string;
  readonly etcdBackupBucketArn?: string;
  readonly assetsBucketArn: string;
  /** The workload identity issuer bucket, when workload identity is on. */
  readonly oidcIssuerBucketArn?: string;
  readonly vpcArn: string;
  /** The groups, queue and target group the lifecycle statements name (src/aws/iam/node-lifecycle.ts). */
  readonly lifecycle: Pick<
    LifecyclePolicyContext,
    "controlPlaneGroups" | "workerGroups" | "nodeTerminationQueue" | "apiTargetGroup"
  >;
  /**
   * The EBS CSI controller's policy (configuration addons.ebsCsi): on a role of its own that its
   * ServiceAccount assumes when workloadIdentity is given, else on the control-plane role.
   */
  readonly ebsCsiDriver: boolean;
  /** Workload identity: the IAM OIDC provider and its issuer's host (roles of ServiceAccounts trust them). */
  readonly workloadIdentity?: { readonly providerArn: string; readonly issuerHost: string };
  /** The cluster autoscaler runs on the control-plane nodes (configuration addons.clusterAutoscaler). */
  readonly clusterAutoscaler?: boolean;
}

const snake = (s: string) => s.replace(/-/g, "_");

export class NodeIam extends Construct {
  readonly roles = {} as Record<NodeRoleName, IamRole>;
  readonly instanceProfiles = {} as Record<NodeRoleName, IamInstanceProfile>;
  /** Policies by role and concern, for tests and the trace. */
  readonly policies: Record<string, IamPolicy> = {};
  /** Policy attachments per role: nodes boot after theirs exist (IAM is eventually consistent). */
  readonly attachments = {} as Record<NodeRoleName, IamRolePolicyAttachment[]>;
  /** The statements behind each policy ("role/concern"), checked for wildcards by the tests. */
  readonly statements: Record<string, PolicyStatement[]> = {};
  /** Roles of workloads (ServiceAccounts) through workload identity, by workload name. */
  readonly workloadRoles: Record<string, IamRole> = {};
  /** Their policy attachments: the control-plane nodes, which start these workloads, boot after them. */
  readonly workloadAttachments: IamRolePolicyAttachment[] = [];
  /** The KMS key of the cluster secrets, which only the control-plane role may use. */
  readonly clusterSecretsKey: ClusterSecretsKey;

  constructor(scope: Construct, id: string, props: NodeIamProps) {
    super(scope, id);
    const partition = named(new DataAwsPartition(this, "partition"), "current");
    const account = named(new DataAwsCallerIdentity(this, "account"), "current");
    for (const role of NODE_ROLES) this.roles[role] = this.nodeRole(props.clusterName, role);
    // The key of the cluster secrets names the control-plane role in its policy, and that role's
    // policy names the key: role, then key, then policies.
    this.clusterSecretsKey = new ClusterSecretsKey(this, "cluster-secrets-key", {
      clusterName: props.clusterName,
      partition: partition.partition,
      accountId: account.accountId,
      region: props.region,
      ssmPrefix: props.ssmPrefix,
      controlPlaneRoleArn: this.roles["control-plane"].arn,
    });
    const ctx: PolicyContext = {
      clusterName: props.clusterName,
      partition: partition.partition,
      region: props.region,
      accountId: account.accountId,
      ssmPrefix: props.ssmPrefix,
      etcdBackupBucketArn: props.etcdBackupBucketArn,
      assetsBucketArn: props.assetsBucketArn,
      oidcIssuerBucketArn: props.oidcIssuerBucketArn,
      vpcArn: props.vpcArn,
      clusterSecretsKey: { arn: this.clusterSecretsKey.key.arn },
    };
    const lifecycle: LifecyclePolicyContext = { ...ctx, ...props.lifecycle };

    const concerns: Record<NodeRoleName, Record<string, PolicyStatement[]>> = {
      "control-plane": {
        "cloud-controller": cloudControllerStatements(ctx),
        "vpc-cni": vpcCniStatements(ctx),
        "ecr-read": ecrReadStatements(ctx),
        "bootstrap-parameters": ssmParameterStatements(ctx, "control-plane"),
        "addon-assets": addonAssetsStatements(ctx),
        "session-manager": sessionManagerStatements(ctx),
        ...(props.etcdBackupBucketArn ? { "etcd-backup": etcdBackupStatements(ctx) } : {}),
        ...(props.oidcIssuerBucketArn ? { "oidc-issuer": oidcIssuerStatements(ctx) } : {}),
        "node-lifecycle": nodeLifecycleStatements(lifecycle, "control-plane"),
        "node-termination-handler": nodeTerminationHandlerStatements(lifecycle),
        ...(props.ebsCsiDriver && !props.workloadIdentity ? { "ebs-csi-driver": ebsCsiDriverStatements(ctx) } : {}),
        ...(props.clusterAutoscaler ? { "cluster-autoscaler": clusterAutoscalerStatements(lifecycle) } : {}),
      },
      workers: {
        "vpc-cni": vpcCniStatements(ctx),
        "ecr-read": ecrReadStatements(ctx),
        "bootstrap-parameters": ssmParameterStatements(ctx, "worker"),
        "session-manager": sessionManagerStatements(ctx),
        "node-lifecycle": nodeLifecycleStatements(lifecycle, "worker"),
      },
      bastion: {
        "session-manager": sessionManagerStatements(ctx),
      },
    };

    for (const [role, policies] of Object.entries(concerns) as [NodeRoleName, Record<string, PolicyStatement[]>][]) {
      const roleName = `${props.clusterName}-${role}`;
      const iamRole = this.roles[role];
      this.attachments[role] = [];
      for (const [concern, statements] of Object.entries(policies)) this.statements[`${role}/${concern}`] = statements;
      const documents = managedPolicies(policies);
      if (documents.size > IAM_ROLE_LIMITS.managedPoliciesPerRole)
        throw new Error(
          `iam: role ${roleName} would have ${documents.size} managed policies; AWS attaches at most ` +
            `${IAM_ROLE_LIMITS.managedPoliciesPerRole} by default: group more concerns in MANAGED_POLICY_OF`,
        );
      for (const [policyName, statements] of documents) {
        const policy = named(
          new IamPolicy(this, `${role}-${policyName}`, {
            name: `${roleName}-${policyName}`,
            description: `${policyName} for ${role} nodes of ${props.clusterName}`,
            policy: Fn.jsonencode(policyDocument(statements)),
          }),
          `${snake(role)}_${snake(policyName)}`,
        );
        this.policies[`${role}/${policyName}`] = policy;
        this.attachments[role].push(
          named(
            new IamRolePolicyAttachment(this, `${role}-${policyName}-attachment`, {
              role: iamRole.name,
              policyArn: policy.arn,
            }),
            `${snake(role)}_${snake(policyName)}_attachment`,
          ),
        );
      }
      this.instanceProfiles[role] = named(
        new IamInstanceProfile(this, `${role}-profile`, {
          name: roleName,
          role: iamRole.name,
          tags: { Name: roleName },
        }),
        `${snake(role)}_profile`,
      );
    }
    if (props.ebsCsiDriver && props.workloadIdentity)
      this.workloadRole(props, "ebs-csi-controller", EBS_CSI_CONTROLLER_SERVICE_ACCOUNT, {
        "ebs-csi-driver": ebsCsiDriverStatements(ctx),
      });
  }

  /** The instance role of one node role (EC2 assumes it). */
  private nodeRole(clusterName: string, role: NodeRoleName): IamRole {
    const roleName = `${clusterName}-${role}`;
    return named(
      new IamRole(this, `${role}-role`, {
        name: roleName,
        description: `${role} nodes of Kubernetes cluster ${clusterName}`,
        assumeRolePolicy: Fn.jsonencode({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags: { Name: roleName },
      }),
      `${snake(role)}_role`,
    );
  }

  /** A role only `sa` may assume (web identity), with one managed policy per concern. */
  private workloadRole(
    props: NodeIamProps,
    workload: string,
    sa: ServiceAccountRef,
    concerns: Record<string, PolicyStatement[]>,
  ): void {
    const wi = props.workloadIdentity!;
    const roleName = workloadRoleName(props.clusterName, workload);
    const role = named(
      new IamRole(this, `${workload}-role`, {
        name: roleName,
        description: `${sa.namespace}/${sa.name} of Kubernetes cluster ${props.clusterName} (workload identity)`,
        assumeRolePolicy: Fn.jsonencode(serviceAccountTrustPolicy(wi.providerArn, wi.issuerHost, sa)),
        tags: { Name: roleName },
      }),
      `${snake(workload)}_role`,
    );
    this.workloadRoles[workload] = role;
    for (const [concern, statements] of Object.entries(concerns)) {
      this.statements[`${workload}/${concern}`] = statements;
      const policy = named(
        new IamPolicy(this, `${workload}-${concern}`, {
          name: `${roleName}-${concern}`,
          description: `${concern} for ${sa.namespace}/${sa.name} of ${props.clusterName}`,
          policy: Fn.jsonencode(policyDocument(statements)),
        }),
        `${snake(workload)}_${snake(concern)}`,
      );
      this.policies[`${workload}/${concern}`] = policy;
      this.workloadAttachments.push(
        named(
          new IamRolePolicyAttachment(this, `${workload}-${concern}-attachment`, {
            role: role.name,
            policyArn: policy.arn,
          }),
          `${snake(workload)}_${snake(concern)}_attachment`,
        ),
      );
    }
  }
}
