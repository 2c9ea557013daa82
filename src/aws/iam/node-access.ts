/**
 * What every node does with AWS besides Kubernetes' own controllers: pull images from ECR, read
 * (and on control-plane nodes publish) the bootstrap parameters, and register with Session Manager.
 */
import { CLUSTER_SECRET_PARAMETERS, SsmParameter, ssmJoinFolder, ssmParameterNames } from "../ssm-parameters";
import { PolicyContext, PolicyStatement, arn, check, ec2, parameterArn } from "./policy";
import { CLUSTER_SECRETS_KEY_USE_ACTIONS, clusterSecretsKeyUseCondition } from "../cluster-secrets-key";

/**
 * Image pulls from ECR: the pull subset of AmazonEC2ContainerRegistryReadOnly.
 * GetAuthorizationToken takes no resource. The pull actions are limited to ECR repositories but
 * not to this account or region: the VPC CNI images live in AWS-owned EKS registries
 * (602401143452 and others), and the upstream manifest pulls them from us-west-2.
 */
export function ecrReadStatements(ctx: PolicyContext): PolicyStatement[] {
  check(ctx);
  return [
    {
      Sid: "EcrAuthToken",
      Effect: "Allow",
      Action: ["ecr:GetAuthorizationToken"],
      Resource: "*",
    },
    {
      Sid: "EcrPullImages",
      Effect: "Allow",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      Resource: arn(ctx, "ecr", "repository/*", "*", "*"),
    },
  ];
}

/**
 * What a worker reads: what a worker join needs, never the certificate key, which with a token
 * downloads the cluster's CA keys (control-plane join material). join/api-endpoint tells which
 * deployment the join parameters belong to (stale ones are ignored); the cluster's version is the
 * kubelet to install (never newer than the API servers).
 */
export const WORKER_PARAMETERS: readonly SsmParameter[] = [
  "apiEndpoint",
  "joinToken",
  "joinCaCertHash",
  "joinApiEndpoint",
  "clusterVersion",
];

/**
 * Parameter Store: kubeadm join material, names from src/aws/ssm-parameters.ts. Control-plane
 * nodes read <ssmPrefix>/* and write the join folder and the cluster's version (the first
 * control-plane node publishes the token, CA hash and certificate key, and creates the cluster
 * secrets, CLUSTER_SECRET_PARAMETERS, never overwriting them); workers read WORKER_PARAMETERS, never
 * those. The join SecureStrings use the AWS managed key aws/ssm (its key policy lets the account's
 * principals use it through Parameter Store); the cluster secrets use the cluster's own key
 * (ctx.clusterSecretsKey, src/aws/cluster-secrets-key.ts), which only this role may use, only
 * through Parameter Store and only for those two parameters.
 */
export function ssmParameterStatements(ctx: PolicyContext, role: "control-plane" | "worker"): PolicyStatement[] {
  check(ctx);
  const parameter = (name: string) => parameterArn(ctx, name);
  const names = ssmParameterNames(ctx.ssmPrefix);
  const read = ["ssm:GetParameter", "ssm:GetParameters"];
  if (role === "worker")
    return [
      {
        Sid: "SsmReadWorkerJoinParameters",
        Effect: "Allow",
        Action: read,
        Resource: WORKER_PARAMETERS.map((p) => parameter(names[p])),
      },
    ];
  return [
    { Sid: "SsmReadClusterParameters", Effect: "Allow", Action: read, Resource: parameter(`${ctx.ssmPrefix}/*`) },
    {
      Sid: "SsmWriteJoinParameters",
      Effect: "Allow",
      Action: ["ssm:PutParameter"],
      Resource: [parameter(`${ssmJoinFolder(ctx.ssmPrefix)}/*`), parameter(names.clusterVersion)],
    },
    {
      // The Secrets encryption keys and the service-account signing key: created once, without
      // overwrite, by the node that creates the cluster (rotation is an operator's overwrite).
      Sid: "SsmCreateClusterSecrets",
      Effect: "Allow",
      Action: ["ssm:PutParameter"],
      Resource: CLUSTER_SECRET_PARAMETERS.map((p) => parameter(names[p])),
      // Create only: a put with Overwrite=true is refused (Parameter Store's condition key ssm:Overwrite,
      // https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-policy-conditions.html).
      // StringNotEquals also matches a request without the key, as a put without --overwrite may be.
      Condition: { StringNotEquals: { "ssm:Overwrite": "true" } },
    },
    ...(ctx.clusterSecretsKey
      ? [
          {
            Sid: "KmsClusterSecretsKey",
            Effect: "Allow" as const,
            Action: [...CLUSTER_SECRETS_KEY_USE_ACTIONS],
            Resource: ctx.clusterSecretsKey.arn,
            Condition: clusterSecretsKeyUseCondition(ctx),
          },
        ]
      : []),
  ];
}

/**
 * Session Manager for the bastion and every node: AmazonSSMManagedInstanceCore without its
 * Parameter Store reads (on "*"), documents, associations, inventory, compliance and patching.
 * ssmmessages and ec2messages actions take no resource ARN.
 */
export function sessionManagerStatements(ctx: PolicyContext): PolicyStatement[] {
  check(ctx);
  return [
    {
      // SSM Agent registers and heartbeats the instance; the resource is the EC2 instance ARN.
      Sid: "SessionRegisterInstance",
      Effect: "Allow",
      Action: ["ssm:UpdateInstanceInformation"],
      Resource: ec2(ctx, "instance/*"),
    },
    {
      // Session Manager's control and data channels.
      Sid: "SessionChannels",
      Effect: "Allow",
      Action: [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ],
      Resource: "*",
    },
    {
      // The agent's message delivery (Run Command, older agents' session setup).
      Sid: "SessionAgentMessages",
      Effect: "Allow",
      Action: [
        "ec2messages:AcknowledgeMessage",
        "ec2messages:DeleteMessage",
        "ec2messages:FailMessage",
        "ec2messages:GetEndpoint",
        "ec2messages:GetMessages",
        "ec2messages:SendReply",
      ],
      Resource: "*",
    },
  ];
}
