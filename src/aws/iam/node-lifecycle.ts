/**
 * IAM statements for the auto scaling lifecycle of the nodes, as plain data like
 * src/aws/iam/ (same scoping rule: every action named, every mutation on named
 * resources of this cluster):
 *
 * - the node scripts (both roles): complete their own group's lifecycle hooks, mark themselves
 *   unhealthy after a failed boot, publish the boot-failure metric, find their group;
 * - control-plane nodes: the boot election lock in Parameter Store, EC2 reads (is an etcd member's
 *   instance still there?), registering in the API target group before `kubeadm init`;
 * - the AWS Node Termination Handler in queue mode, which runs on control-plane nodes with the
 *   host's network and so with the control-plane role: its queue, and the workers' terminate hook.
 *
 * Sources: the Service Authorization Reference for Amazon EC2 Auto Scaling (CompleteLifecycleAction,
 * RecordLifecycleActionHeartbeat and SetInstanceHealth take the autoScalingGroup resource;
 * DescribeAutoScalingInstances and DescribeScalingActivities take none), for Elastic Load
 * Balancing V2 (RegisterTargets takes the targetgroup resource, not the load balancer), for
 * CloudWatch (PutMetricData takes no resource; cloudwatch:namespace limits it) and for Amazon SQS; the
 * handler's own policy: aws/aws-node-termination-handler README.md at v1.25.6, "Queue Processor"
 * IAM permissions, and the calls in pkg/monitor/sqsevent/*.go (ReceiveMessage, DeleteMessage,
 * CompleteLifecycleAction, DescribeInstances).
 */
import { BOOT_FAILURE_METRIC } from "../lifecycle";
import { PolicyContext, PolicyStatement, arn, checkResourceName, parameterArn } from "./policy";
import { ssmParameterNames } from "../ssm-parameters";

export interface LifecyclePolicyContext extends PolicyContext {
  /** Names of the control-plane groups (`<cluster>-control-plane-<i>`). */
  readonly controlPlaneGroups: readonly string[];
  /** Names of the workers' groups, one per availability zone (workerGroupNames). */
  readonly workerGroups: readonly string[];
  /** Name of the SQS queue the termination handler reads. */
  readonly nodeTerminationQueue: string;
  /** Name of the API load balancer's target group. */
  readonly apiTargetGroup: string;
}

/**
 * An auto scaling group by name. The group's id in its ARN is made by AWS at creation, so it is
 * "*"; the name is exact, so no other group of the account matches.
 */
export function autoScalingGroupArn(ctx: PolicyContext, name: string): string {
  const group = `autoScalingGroup:*:autoScalingGroupName/${name}`;
  return arn(ctx, "autoscaling", group);
}

/**
 * The worker groups' ARNs as a statement's Resource: one ARN as a string (a single-zone cluster's
 * policy reads as before), several as a list.
 */
export function workerGroupArns(ctx: PolicyContext & Pick<LifecyclePolicyContext, "workerGroups">): string | string[] {
  const arns = ctx.workerGroups.map((g) => autoScalingGroupArn(ctx, g));
  return arns.length === 1 ? arns[0] : arns;
}

/** A target group by name; its ARN ends in an id AWS makes at creation. */
function targetGroupArn(ctx: PolicyContext, name: string): string {
  return arn(ctx, "elasticloadbalancing", `targetgroup/${name}/*`);
}

function checkGroups(ctx: LifecyclePolicyContext): void {
  if (ctx.controlPlaneGroups.length === 0) throw new Error("LifecyclePolicyContext.controlPlaneGroups is empty");
  if (ctx.workerGroups.length === 0) throw new Error("LifecyclePolicyContext.workerGroups is empty");
  for (const g of [...ctx.controlPlaneGroups, ...ctx.workerGroups, ctx.nodeTerminationQueue, ctx.apiTargetGroup])
    checkResourceName("LifecyclePolicyContext", g);
}

/**
 * What the node scripts of one role call. A node acts only on the groups of its own role: a worker
 * cannot complete a control-plane hook or mark a control-plane node unhealthy.
 */
export function nodeLifecycleStatements(
  ctx: LifecyclePolicyContext,
  role: "control-plane" | "worker",
): PolicyStatement[] {
  checkGroups(ctx);
  const ownGroups = role === "worker" ? ctx.workerGroups : ctx.controlPlaneGroups;
  const statements: PolicyStatement[] = [
    {
      // Launch hook: CONTINUE once the node is Ready (ABANDON after a failed boot); terminate hook
      // (control plane): CONTINUE once its etcd member is removed; heartbeats while it works;
      // SetInstanceHealth Unhealthy after a boot that failed for good, so the group replaces it.
      Sid: "NodeLifecycleOwnGroups",
      Effect: "Allow",
      Action: [
        "autoscaling:CompleteLifecycleAction",
        "autoscaling:RecordLifecycleActionHeartbeat",
        "autoscaling:SetInstanceHealth",
      ],
      Resource: ownGroups.map((g) => autoScalingGroupArn(ctx, g)),
    },
    {
      // Which group the instance is in (describe-auto-scaling-instances) and why it was launched.
      // Read-only; Auto Scaling Describe* actions accept no resource ARN.
      Sid: "NodeLifecycleDescribe",
      Effect: "Allow",
      Action: ["autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeScalingActivities"],
      Resource: "*",
    },
    {
      // The boot-failure metric the groups' alarms watch; PutMetricData takes no resource, so it is
      // limited to the one namespace.
      Sid: "NodeBootFailureMetric",
      Effect: "Allow",
      Action: ["cloudwatch:PutMetricData"],
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": BOOT_FAILURE_METRIC.namespace } },
    },
  ];
  if (role === "worker") return statements;
  return [
    ...statements,
    {
      // Whether the instance of an etcd member still exists. Read-only, no resource ARN.
      Sid: "EtcdMemberInstances",
      Effect: "Allow",
      Action: ["ec2:DescribeInstances"],
      Resource: "*",
    },
    {
      // The boot election: put without --overwrite (an atomic create), deleted only when its holder
      // is gone and no cluster answers behind the endpoint. No other parameter.
      Sid: "SsmInitLock",
      Effect: "Allow",
      Action: ["ssm:DeleteParameter", "ssm:PutParameter"],
      Resource: parameterArn(ctx, ssmParameterNames(ctx.ssmPrefix).initLock),
    },
    {
      // The group registers an instance with the API target group only after its launch hook is
      // complete (https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks-overview.html),
      // and the node completes it only once Ready. The node that runs `kubeadm init` reaches its own
      // API server through the NLB (controlPlaneEndpoint) before that, so it registers itself first
      // (the ARN from SSM api-target-group). This target group only.
      Sid: "ApiTargetSelfRegister",
      Effect: "Allow",
      Action: ["elasticloadbalancing:RegisterTargets"],
      Resource: targetGroupArn(ctx, ctx.apiTargetGroup),
    },
  ];
}

/**
 * The AWS Node Termination Handler in queue mode (control-plane role). It reads and deletes the
 * queue's messages, looks up the instance of each event (its private DNS name is the node's name;
 * its tags say whether it is managed), and completes the workers' terminate hook after the drain
 * (every worker group: one per availability zone).
 * It never completes a control-plane hook: those nodes remove their own etcd member first.
 */
export function nodeTerminationHandlerStatements(ctx: LifecyclePolicyContext): PolicyStatement[] {
  checkGroups(ctx);
  return [
    {
      Sid: "NthQueue",
      Effect: "Allow",
      Action: ["sqs:DeleteMessage", "sqs:ReceiveMessage"],
      Resource: arn(ctx, "sqs", ctx.nodeTerminationQueue),
    },
    {
      Sid: "NthCompleteWorkerTermination",
      Effect: "Allow",
      Action: ["autoscaling:CompleteLifecycleAction"],
      Resource: workerGroupArns(ctx),
    },
    {
      // Read-only; EC2 and Auto Scaling Describe* actions accept no resource ARN.
      Sid: "NthDescribe",
      Effect: "Allow",
      Action: ["autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeTags", "ec2:DescribeInstances"],
      Resource: "*",
    },
  ];
}
