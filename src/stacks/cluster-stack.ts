/**
 * The cluster stack: everything of one cluster, with its state in the S3 backend that the
 * state-bucket stack creates.
 */
import { Construct } from "constructs";
import { S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { ClusterConfig } from "../config";
import { NetworkPlan, planNetwork } from "../aws/network-plan";
import { Network } from "../constructs/network";
import { SecurityGroupPlan, planSecurityGroups } from "../aws/security-rules";
import { SecurityGroups } from "../constructs/security-groups";
import { NodeIam } from "../constructs/iam";
import { NodeImage } from "../constructs/node-image";
import { BootstrapParameters } from "../constructs/bootstrap-parameters";
import { ControlPlane } from "../constructs/control-plane";
import { Workers } from "../constructs/workers";
import { Bastion } from "../constructs/bastion";
import { AccessOutputs } from "../constructs/access-outputs";
import { OperationalVariables } from "../constructs/variables";
import { EtcdBackupBucket } from "../constructs/etcd-backup-bucket";
import { AddonAssets } from "../constructs/addon-assets";
import { OidcIssuer } from "../constructs/oidc-issuer";
import { architectureOf } from "../aws/instances";
import { overrideOrder } from "../aws/spot";
import {
  ClusterBootstrapSettings,
  NodeRole,
  RenderedUserData,
  clusterBundle,
  renderUserData,
  ssmParameterNames,
} from "../bootstrap";
import { NodeTerminationQueue } from "../constructs/node-termination";
import { BootFailureAlarms } from "../constructs/boot-failure-alarms";
import { KubernetesVersionGuard } from "../constructs/kubernetes-version-guard";
import {
  apiLoadBalancerName,
  controlPlaneGroupNames,
  nodeTerminationQueueName,
  workerGroupNames,
} from "../aws/cluster-names";
import { ssmPrefixFor } from "../aws/ssm-parameters";
import { issuerHost } from "../aws/workload-identity";

export interface ClusterStackProps {
  readonly config: ClusterConfig;
}

export function defaultTags(config: ClusterConfig): Record<string, string> {
  return { Cluster: config.clusterName, ManagedBy: "cdktf", Repository: "seed-k8s-infra", ...config.tags };
}

export class ClusterStack extends TerraformStack {
  readonly plan: NetworkPlan;
  readonly network: Network;
  readonly securityPlan: readonly SecurityGroupPlan[];
  readonly securityGroups: SecurityGroups;
  readonly iam: NodeIam;
  readonly variables: OperationalVariables;
  readonly etcdBackup?: EtcdBackupBucket;
  /** The workload identity issuer (bucket and IAM OIDC provider), when workloadIdentity.enabled. */
  readonly oidcIssuer?: OidcIssuer;
  readonly addonAssets: AddonAssets;
  readonly controlPlane: ControlPlane;
  readonly workers: Workers;
  readonly bastion: Bastion;
  readonly bootstrapParameters: BootstrapParameters;
  readonly nodeTermination: NodeTerminationQueue;
  readonly bootFailureAlarms: BootFailureAlarms;
  readonly kubernetesVersionGuard: KubernetesVersionGuard;
  /** Parameter Store path of this cluster's bootstrap values. */
  readonly ssmPrefix: string;
  /** The user data of each node role this cluster has, and the Terraform names of its nodes. */
  readonly userData = new Map<NodeRole, { readonly nodes: string; readonly rendered: RenderedUserData }>();

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id);
    const { config } = props;
    this.plan = planNetwork(config);
    this.securityPlan = planSecurityGroups(config, this.plan);

    // A region newer than the provider's own list (allowUnlistedRegion) must not stop the plan.
    const skipRegionValidation = config.allowUnlistedRegion ? true : undefined;
    new AwsProvider(this, "aws", {
      region: config.region,
      defaultTags: [{ tags: defaultTags(config) }],
      skipRegionValidation,
    });

    new S3Backend(this, {
      bucket: config.state.bucket,
      key: config.state.key,
      region: config.state.region,
      encrypt: true,
      skipRegionValidation,
    });
    // S3-native state locking (Terraform >= 1.10). cdktf 0.21's typed S3Backend has no prop for it.
    this.addOverride("terraform.backend.s3.use_lockfile", true);

    this.network = new Network(this, "network", {
      plan: this.plan,
      clusterName: config.clusterName,
      region: config.region,
    });

    this.variables = new OperationalVariables(this, "variables", config);
    this.securityGroups = new SecurityGroups(this, "security-groups", {
      plans: this.securityPlan,
      network: this.network,
      clusterName: config.clusterName,
      cidrLists: {
        bastion_admin_cidrs: this.variables.bastionAdminCidrs,
        load_balancer_client_cidrs: this.variables.loadBalancerClientCidrs,
      },
    });

    this.ssmPrefix = ssmPrefixFor(config.clusterName);
    const etcdBackupPrefix = `${config.clusterName}/etcd`;
    this.etcdBackup = config.etcdBackup.enabled
      ? new EtcdBackupBucket(this, "etcd-backup", {
          bucketName: config.etcdBackup.bucket,
          prefix: etcdBackupPrefix,
          retentionDays: config.etcdBackup.retentionDays,
        })
      : undefined;
    this.oidcIssuer = config.workloadIdentity.enabled
      ? new OidcIssuer(this, "oidc-issuer", { bucketName: config.workloadIdentity.bucket, region: config.region })
      : undefined;
    // Everything nodes of this cluster are made from; user data holds names, the rest travels in the bundle.
    const bootstrap: ClusterBootstrapSettings = {
      clusterName: config.clusterName,
      region: config.region,
      kubernetesMinor: config.kubernetesVersion,
      ssmPrefix: this.ssmPrefix,
      podCidr: this.plan.tiers.pods.block,
      serviceCidr: config.serviceCidr,
      // A plain name (not the bucket resource's token): user-data stays static.
      etcdBackup: config.etcdBackup.enabled
        ? { bucket: config.etcdBackup.bucket, prefix: etcdBackupPrefix, onCalendar: config.etcdBackup.schedule }
        : undefined,
      addons: { ...config.addons, controlPlaneCount: config.controlPlane.count },
      // A plain name too: the API server's issuer flags and the nodes' env file name it.
      workloadIdentity: config.workloadIdentity.enabled ? { bucket: config.workloadIdentity.bucket } : undefined,
    };
    // One bundle: uploaded, and its digest and host-network pods in both roles' user data.
    const bundle = clusterBundle(bootstrap);
    this.addonAssets = new AddonAssets(this, "addon-assets", { clusterName: config.clusterName, bundle });
    this.iam = new NodeIam(this, "iam", {
      clusterName: config.clusterName,
      region: config.region,
      ssmPrefix: this.ssmPrefix,
      etcdBackupBucketArn: this.etcdBackup?.bucket.arn,
      assetsBucketArn: this.addonAssets.bucket.arn,
      oidcIssuerBucketArn: this.oidcIssuer?.bucket.arn,
      vpcArn: this.network.vpc.arn,
      lifecycle: {
        controlPlaneGroups: controlPlaneGroupNames(config.clusterName, config.controlPlane.count),
        workerGroups: workerGroupNames(config.clusterName, this.plan.availabilityZones),
        nodeTerminationQueue: nodeTerminationQueueName(config.clusterName),
        apiTargetGroup: apiLoadBalancerName(config.clusterName),
      },
      ebsCsiDriver: config.addons.ebsCsi,
      clusterAutoscaler: config.addons.clusterAutoscaler,
      workloadIdentity: this.oidcIssuer && {
        providerArn: this.oidcIssuer.provider.arn,
        issuerHost: issuerHost(config.workloadIdentity.bucket, config.region),
      },
    });
    const image = new NodeImage(this, "image", config.amiId);
    const groups = this.securityGroups.groups;
    const subnets = this.network.subnets;

    const nodesOf: Record<NodeRole, string> = {
      "control-plane": "control_plane_launch_template",
      worker: "worker_launch_template",
    };
    const userData = (role: NodeRole) => {
      if (!this.userData.has(role)) {
        const nodes = nodesOf[role];
        this.userData.set(role, {
          nodes,
          rendered: renderUserData({ ...bootstrap, role }, `${role} (${nodes})`, bundle),
        });
      }
      return this.userData.get(role)!.rendered.userDataBase64;
    };

    const parameterNames = ssmParameterNames(this.ssmPrefix);
    this.kubernetesVersionGuard = new KubernetesVersionGuard(this, "kubernetes-version", {
      path: `${this.ssmPrefix}/cluster`,
      parameter: parameterNames.clusterVersion,
      configuredMinor: config.kubernetesVersion,
    });
    this.controlPlane = new ControlPlane(this, "control-plane", {
      clusterName: config.clusterName,
      count: config.controlPlane.count,
      machine: {
        imageId: image.imageFor(architectureOf(config.controlPlane.instanceType)),
        instanceType: this.variables.controlPlaneInstanceType,
        rootVolumeGiB: config.controlPlane.rootVolumeGiB,
        sshKeyName: this.variables.sshKeyName,
      },
      subnets: subnets.apiEndpoint,
      azs: this.plan.availabilityZones,
      securityGroup: groups.apiEndpoint,
      instanceProfile: this.iam.instanceProfiles["control-plane"],
      userDataBase64: userData("control-plane"),
      launchTemplatePreconditions: [this.kubernetesVersionGuard.precondition],
    });

    this.bootstrapParameters = new BootstrapParameters(this, "bootstrap-parameters", {
      ssmPrefix: this.ssmPrefix,
      apiEndpointDnsName: this.controlPlane.loadBalancer.dnsName,
      apiTargetGroupArn: this.controlPlane.targetGroup.arn,
      podsSubnets: this.plan.tiers.pods.subnets.map((s, i) => [s.az, subnets.pods[i].id] as const),
      podsSecurityGroupId: groups.pods.id,
      loadBalancerSecurityGroupId: groups.loadBalancers.id,
      assetsBucketName: this.addonAssets.bucket.bucket,
      ebsCsiControllerRoleArn: this.iam.workloadRoles["ebs-csi-controller"]?.arn,
    });
    this.nodeTermination = new NodeTerminationQueue(this, "node-termination", {
      clusterName: config.clusterName,
      workerGroupNames: workerGroupNames(config.clusterName, this.plan.availabilityZones),
      queueUrlParameter: parameterNames.nodeTerminationQueueUrl,
    });
    // Nodes read these parameters and the add-on bundle, and download packages through the NAT gateway at first boot.
    const bootDependencies = [
      ...this.bootstrapParameters.parameters,
      this.nodeTermination.queueUrlParameter,
      ...this.network.defaultRoutes,
      ...this.addonAssets.objects,
    ];
    this.controlPlane.bootAfter([
      ...bootDependencies,
      ...this.iam.attachments["control-plane"],
      ...this.iam.workloadAttachments,
      // The first control-plane node creates the cluster secrets with this key (by its alias).
      this.iam.clusterSecretsKey.alias,
    ]);

    this.workers = new Workers(this, "workers", {
      clusterName: config.clusterName,
      machine: {
        imageId: image.imageFor(architectureOf(config.workers.instanceType)),
        instanceType: this.variables.workerInstanceType,
        rootVolumeGiB: config.workers.rootVolumeGiB,
        sshKeyName: this.variables.sshKeyName,
      },
      min: this.variables.workerMinSize,
      desired: this.variables.workerDesiredCapacity,
      max: this.variables.workerMaxSize,
      clusterAutoscaler: config.addons.clusterAutoscaler,
      subnets: subnets.workers,
      azs: this.plan.availabilityZones,
      securityGroup: groups.workers,
      instanceProfile: this.iam.instanceProfiles.workers,
      userDataBase64: userData("worker"),
      spot: config.workers.spot && {
        ...config.workers.spot,
        instanceTypes: overrideOrder(config.workers.instanceType, config.workers.spot),
      },
      dependsOn: [...bootDependencies, ...this.iam.attachments.workers, ...this.controlPlane.groups],
    });
    this.bootFailureAlarms = new BootFailureAlarms(this, "boot-failure-alarms", {
      clusterName: config.clusterName,
      // Plain names (the alarms' dimensions), with the groups' Terraform names.
      groups: [
        ...controlPlaneGroupNames(config.clusterName, config.controlPlane.count).map((name, i) => ({
          name,
          terraformName: this.controlPlane.groups[i].friendlyUniqueId,
        })),
        ...this.workers.groups.map((group, i) => ({
          name: this.workers.groupNames[i],
          terraformName: group.friendlyUniqueId,
        })),
      ],
    });

    this.bastion = new Bastion(this, "bastion", {
      clusterName: config.clusterName,
      machine: {
        imageId: image.imageFor(architectureOf(config.bastion.instanceType)),
        instanceType: this.variables.bastionInstanceType,
        rootVolumeGiB: 20,
        sshKeyName: this.variables.sshKeyName,
      },
      subnet: subnets.bastion[0],
      securityGroup: groups.bastion,
      instanceProfile: this.iam.instanceProfiles.bastion,
    });

    new AccessOutputs(this, "access", {
      region: config.region,
      bastion: this.bastion.instance,
      controlPlaneGroups: this.controlPlane.groups,
      workerGroups: this.workers.groups,
      apiLoadBalancer: this.controlPlane.loadBalancer,
      vpcId: this.network.vpc.id,
    });
    if (this.etcdBackup)
      new TerraformOutput(this, "etcd_backup_location", {
        value: `s3://${this.etcdBackup.bucket.bucket}/${etcdBackupPrefix}/`,
        description: "Where control-plane nodes put etcd snapshots (one folder per node)",
      });
    if (this.oidcIssuer) {
      new TerraformOutput(this, "oidc_issuer_url", {
        value: this.oidcIssuer.url,
        description: "The service-account issuer: the iss of pod tokens, the prefix of trust policy conditions",
      });
      new TerraformOutput(this, "oidc_provider_arn", {
        value: this.oidcIssuer.provider.arn,
        description: "The IAM OIDC provider a workload role's trust policy names as its Federated principal",
      });
    }
  }
}
