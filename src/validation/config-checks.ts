/**
 * The configuration's checks across fields: each names the fields it reads, and runs only when
 * zod found no problem with any of them, so one mistake is reported once, at its own field.
 */
import { awsPrefixProblem, overlaps, parseCidr } from "../aws/cidr";
import { vpcTable } from "../spec/network";
import { KNOWN_REGIONS, REGIONS_SOURCE } from "../aws/regions";
import { instanceTypeProblem } from "../aws/instance-types";
import { spotGroupProblems, spotTypeProblems } from "../aws/spot";
import { ConfigProblem, configProblem } from "./config-error";
import { ParsedConfig as Parsed, defaultBucketNames } from "./config-schema";

/** A check across fields; it runs only when no field it reads has a problem already. */
export interface CrossCheck {
  readonly reads: readonly string[];
  readonly problems: (c: Parsed) => ConfigProblem[];
}

const regionCheck = (field: "region" | "state.region"): CrossCheck => ({
  reads: [field, "allowUnlistedRegion"],
  problems: (c) => {
    const region = field === "region" ? c.region : c.state.region;
    if (region === undefined || c.allowUnlistedRegion || KNOWN_REGIONS.includes(region)) return [];
    const reason =
      `is not a region in the known list (${REGIONS_SOURCE}); ` +
      "check the name, or set allowUnlistedRegion: true for a newer region";
    return [configProblem(field, region, reason)];
  },
});

const instanceTypeCheck = (role: "bastion" | "controlPlane" | "workers"): CrossCheck => ({
  reads: [`${role}.instanceType`, "allowUnlistedInstanceTypes"],
  problems: (c) => {
    const type = c[role].instanceType;
    const why = instanceTypeProblem(type, c.allowUnlistedInstanceTypes);
    return why ? [configProblem(`${role}.instanceType`, type, why)] : [];
  },
});

const vpcCidrOf = (c: Parsed): string => c.network.vpcCidr ?? vpcTable.cidrBlock;

/** In this order; a later check skips a field an earlier one found a problem with. */
export const CROSS_CHECKS: readonly CrossCheck[] = [
  regionCheck("region"),
  regionCheck("state.region"),
  instanceTypeCheck("bastion"),
  instanceTypeCheck("controlPlane"),
  instanceTypeCheck("workers"),
  { reads: ["workers.spot", "allowUnlistedInstanceTypes"], problems: spotTypeProblems },
  {
    reads: ["workers.spot", "workers.instanceType", "allowUnlistedInstanceTypes", "addons.clusterAutoscaler"],
    problems: spotGroupProblems,
  },
  {
    reads: ["availabilityZones", "azCount", "region"],
    problems: ({ availabilityZones: zones, azCount, region }) => {
      if (!zones) return [];
      return [
        ...(zones.length < azCount
          ? [configProblem("availabilityZones", zones, `names ${zones.length} zone(s) but azCount is ${azCount}`)]
          : []),
        ...zones.flatMap((az, i) =>
          az.startsWith(region)
            ? []
            : [configProblem(`availabilityZones.${i}`, az, `is not a zone of region ${region}`)],
        ),
        ...(new Set(zones).size !== zones.length
          ? [configProblem("availabilityZones", zones, "names a zone twice")]
          : []),
      ];
    },
  },
  {
    // One worker group per zone (src/constructs/workers.ts): each needs room for one worker.
    reads: ["workers.max", "azCount"],
    problems: ({ workers: { max }, azCount }) =>
      azCount > 1 && max < azCount
        ? [configProblem("workers.max", max, `must be at least azCount (${azCount}): one worker per zone's group`)]
        : [],
  },
  {
    reads: ["workers.min", "workers.max"],
    problems: ({ workers: { min, max } }) =>
      min > max ? [configProblem("workers.min", min, `is larger than workers.max (${max})`)] : [],
  },
  {
    reads: ["workers.min", "workers.max", "workers.desired"],
    problems: ({ workers: { min, max, desired } }) =>
      desired < min || desired > max
        ? [configProblem("workers.desired", desired, `must be between workers.min (${min}) and workers.max (${max})`)]
        : [],
  },
  {
    reads: ["etcdBackup.bucket", "state.bucket", "clusterName", "region"],
    problems: (c) =>
      c.etcdBackup.bucket !== undefined && c.etcdBackup.bucket === (c.state.bucket ?? defaultBucketNames(c).state)
        ? [configProblem("etcdBackup.bucket", c.etcdBackup.bucket, "must differ from state.bucket")]
        : [],
  },
  {
    reads: [
      "workloadIdentity.enabled",
      "workloadIdentity.bucket",
      "etcdBackup.bucket",
      "state.bucket",
      "clusterName",
      "region",
    ],
    problems: (c) => {
      const defaults = defaultBucketNames(c);
      const own = c.workloadIdentity.bucket ?? defaults.issuer;
      const others: [string, string][] = [
        ["state.bucket", c.state.bucket ?? defaults.state],
        ["etcdBackup.bucket", c.etcdBackup.bucket ?? defaults.etcdBackup],
      ];
      const same = others.find(([, name]) => name === own);
      return c.workloadIdentity.enabled && same
        ? [configProblem("workloadIdentity.bucket", own, `must differ from ${same[0]} (the issuer bucket is public)`)]
        : [];
    },
  },
  {
    // The issuer URL is https://<bucket>.s3.<region>.amazonaws.com (src/aws/workload-identity.ts);
    // in the China regions S3 answers under amazonaws.com.cn, so that issuer would not exist.
    reads: ["workloadIdentity.enabled", "region"],
    problems: (c) =>
      c.workloadIdentity.enabled && c.region.startsWith("cn-")
        ? [
            configProblem(
              "workloadIdentity.enabled",
              true,
              `is not supported in ${c.region} (the issuer's S3 host differs in the China regions); set it to false`,
            ),
          ]
        : [],
  },
  {
    // The VPC's own size before the service CIDR: a /8 is AWS's problem to report, not an overlap.
    reads: ["network.vpcCidr"],
    problems: (c) => {
      const why = awsPrefixProblem(parseCidr(vpcCidrOf(c)), "VPC range");
      return why ? [configProblem("network.vpcCidr", vpcCidrOf(c), why)] : [];
    },
  },
  {
    // kube-apiserver refuses a range of more than 2^20 addresses (mask >= 12); kubeadm puts the
    // cluster DNS on the range's 10th address, so it needs at least 16 (/28).
    reads: ["serviceCidr"],
    problems: ({ serviceCidr }) => {
      const { prefix } = parseCidr(serviceCidr);
      if (prefix >= 12 && prefix <= 28) return [];
      const reason =
        "must be a /12 to /28: kube-apiserver refuses more than 2^20 addresses, " +
        "and kubeadm needs the 10th address for cluster DNS";
      return [configProblem("serviceCidr", serviceCidr, reason)];
    },
  },
  {
    reads: ["serviceCidr", "network.vpcCidr"],
    problems: (c) => {
      const vpc = vpcCidrOf(c);
      if (!overlaps(parseCidr(c.serviceCidr), parseCidr(vpc))) return [];
      return [
        configProblem("serviceCidr", c.serviceCidr, `overlaps the VPC ${vpc}; Service IPs must be outside the VPC`),
      ];
    },
  },
];
