/**
 * What the AWS Node Termination Handler (queue mode) reads: an SQS queue fed by EventBridge rules
 * for the events that take a worker away: the workers' group terminating an instance (its terminate
 * hook holds the instance until the handler drained the node), spot interruption warnings,
 * instance state changes and AWS Health scheduled changes. The rules and their patterns follow the
 * handler's README at v1.25.6 ("Queue Processor", "Create Amazon EventBridge Rules"); the group rule
 * is narrowed to the workers' groups, one per availability zone (control-plane nodes leave through
 * their own hook). No rule for rebalance recommendations: only Spot Instances get them, and a Spot
 * group here has capacity rebalancing on, which launches the replacement first and then terminates
 * the at-risk worker through its terminate hook. The handler in queue mode drains on a
 * recommendation at once (pkg/interruptionevent/draincordon/handler.go with
 * ENABLE_SQS_TERMINATION_DRAINING), before the replacement exists; its README: "If we use ASG with
 * capacity-rebalance enabled on ASG, then we do not need Spot and Rebalance events enabled with
 * EventBridge". The spot interruption rule stays: the two-minute warning starts the drain at once.
 * EC2 events cannot be filtered by tag: the handler drains only instances that carry its managed
 * tag, which only the workers have.
 *
 * The queue URL reaches the nodes as an SSM String parameter (user data holds names only).
 */
import { Construct } from "constructs";
import { Fn } from "cdktf";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { named } from "./network";
import { nodeTerminationQueueName } from "../aws/cluster-names";

export interface NodeTerminationQueueProps {
  readonly clusterName: string;
  /** The workers' groups (one per availability zone): their terminate hooks feed the queue. */
  readonly workerGroupNames: readonly string[];
  /** SSM parameter name for the queue URL (ssmParameterNames().nodeTerminationQueueUrl). */
  readonly queueUrlParameter: string;
}

/** One rule per kind of event, keyed by its Terraform name suffix. */
export function nodeTerminationEventPatterns(
  workerGroupNames: readonly string[],
): Record<string, Record<string, unknown>> {
  return {
    worker_termination: {
      source: ["aws.autoscaling"],
      "detail-type": ["EC2 Instance-terminate Lifecycle Action"],
      detail: { AutoScalingGroupName: [...workerGroupNames] },
    },
    spot_interruption: { source: ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"] },
    instance_state_change: { source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"] },
    // AWS Health scheduled changes (instance retirement, maintenance): drained ahead of the date.
    scheduled_change: {
      source: ["aws.health"],
      "detail-type": ["AWS Health Event"],
      detail: { service: ["EC2"], eventTypeCategory: ["scheduledChange"] },
    },
  };
}

/**
 * A message waits this long for the handler. Longer than the handler's README (300 s): its one
 * replica is rescheduled whenever a control-plane node is drained (during a roll, the same apply
 * that rolls the workers), and a worker's terminate event must outlive that gap, up to the 600 s
 * terminate hook. A stale event finds no node and is dropped (DELETE_SQS_MSG_IF_NODE_NOT_FOUND).
 */
export const QUEUE_MESSAGE_RETENTION_SECONDS = 900;

export class NodeTerminationQueue extends Construct {
  readonly queue: SqsQueue;
  readonly rules: CloudwatchEventRule[] = [];
  readonly queueUrlParameter: SsmParameter;

  constructor(scope: Construct, id: string, props: NodeTerminationQueueProps) {
    super(scope, id);
    const name = nodeTerminationQueueName(props.clusterName);
    this.queue = named(
      new SqsQueue(this, "queue", {
        name,
        messageRetentionSeconds: QUEUE_MESSAGE_RETENTION_SECONDS,
        // SSE-SQS: EventBridge can publish to it without a key policy (the handler's README: an AWS
        // managed KMS key would not work, a customer key would need its policy changed).
        sqsManagedSseEnabled: true,
        tags: { Name: name },
      }),
      "node_termination_queue",
    );
    for (const [kind, pattern] of Object.entries(nodeTerminationEventPatterns(props.workerGroupNames))) {
      const rule = named(
        new CloudwatchEventRule(this, `rule-${kind}`, {
          name: `${props.clusterName}-nth-${kind.replace(/_/g, "-")}`,
          description: `Node termination handler of ${props.clusterName}: ${kind.replace(/_/g, " ")}`,
          eventPattern: Fn.jsonencode(pattern),
          tags: { Name: `${props.clusterName}-nth-${kind.replace(/_/g, "-")}` },
        }),
        `node_termination_${kind}`,
      );
      named(
        new CloudwatchEventTarget(this, `target-${kind}`, {
          rule: rule.name,
          arn: this.queue.arn,
          targetId: "node-termination-queue",
        }),
        `node_termination_${kind}_to_queue`,
      );
      this.rules.push(rule);
    }
    // Only EventBridge may send, and only from these rules; the handler reads with its role's IAM.
    named(
      new SqsQueuePolicy(this, "queue-policy", {
        queueUrl: this.queue.url,
        policy: Fn.jsonencode({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "EventBridgeRulesSend",
              Effect: "Allow",
              Principal: { Service: "events.amazonaws.com" },
              Action: "sqs:SendMessage",
              Resource: this.queue.arn,
              Condition: { ArnEquals: { "aws:SourceArn": this.rules.map((r) => r.arn) } },
            },
          ],
        }),
      }),
      "node_termination_queue_policy",
    );
    this.queueUrlParameter = named(
      new SsmParameter(this, "queue-url", {
        name: props.queueUrlParameter,
        type: "String",
        tier: "Standard",
        value: this.queue.url,
        description: "SQS queue of the node termination handler (queue mode)",
      }),
      "node_termination_queue_url",
    );
  }
}
