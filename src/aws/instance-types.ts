/**
 * The EC2 instance types synth accepts without `allowUnlistedInstanceTypes`: every type in
 * misc/eni-max-pods.txt of aws/amazon-vpc-cni-k8s v1.23.0 (commit 0c65d58, 2026-07-31), which the
 * VPC CNI's generator makes from EC2's DescribeInstanceTypes in the 17 regions its header lists. It
 * is vendored unchanged under data/eni-max-pods/v1.23.0 with its SHA-256. A type released later, or
 * offered only outside those regions (opt-in, China, GovCloud), needs the escape hatch; a wrong
 * spelling gets the message instead of a launch that never happens. Mac instances are refused:
 * they run only on dedicated hosts, which this project does not make.
 */
import { loadVendored, repositoryFolder } from "../addons/vendored";

export const INSTANCE_TYPES_SOURCE =
  "aws/amazon-vpc-cni-k8s v1.23.0 misc/eni-max-pods.txt: the types of 17 regions on 2026-07-31";

let known: ReadonlySet<string> | undefined;

/** Instance types in the vendored list (read and checked once per process). */
export function knownInstanceTypes(): ReadonlySet<string> {
  if (!known) {
    const [file] = loadVendored("eni-max-pods", "v1.23.0", repositoryFolder("data", "eni-max-pods")).files;
    const types = file.text
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.startsWith("#"))
      .map((line) => line.split(/\s+/)[0]);
    known = new Set(types);
  }
  return known;
}

/** Why an instance type is not one synth accepts, or undefined. */
export function instanceTypeProblem(instanceType: string, allowUnlisted: boolean): string | undefined {
  if (/^mac/.test(instanceType))
    return "is a Mac instance, which runs only on a dedicated host this project does not make; choose another type";
  if (allowUnlisted || knownInstanceTypes().has(instanceType)) return undefined;
  return (
    `is not in the EC2 instance type list (${INSTANCE_TYPES_SOURCE}); check the spelling and ` +
    "'aws ec2 describe-instance-type-offerings' in your region, " +
    "or set allowUnlistedInstanceTypes: true for a newer type"
  );
}

/** vCPUs, memory and architecture of an instance type, as the cluster autoscaler knows them. */
export interface InstanceResources {
  readonly vcpu: number;
  readonly memoryMb: number;
  readonly architecture: string;
}

/**
 * The cluster autoscaler's own static list (its AWS cloud provider's ec2_instance_types.go of the
 * release the add-on pins for the default minor), vendored unchanged under
 * data/ec2-instance-types/: the vCPU and memory it assumes for a type are the ones compared here.
 */
export const INSTANCE_RESOURCES_SOURCE =
  "kubernetes/autoscaler cluster-autoscaler-1.35.2 cluster-autoscaler/cloudprovider/aws/ec2_instance_types.go";

let resources: ReadonlyMap<string, InstanceResources> | undefined;

/** Every entry of the Go map literal `"type": { InstanceType: ..., VCPU: n, MemoryMb: n, ... }`. */
export function instanceResources(): ReadonlyMap<string, InstanceResources> {
  if (!resources) {
    const folder = repositoryFolder("data", "ec2-instance-types");
    const [file] = loadVendored("ec2-instance-types", "cluster-autoscaler-1.35.2", folder).files;
    const entry = new RegExp(
      [
        '^\\t"([^"]+)": \\{',
        '\\t\\tInstanceType: +"\\1",',
        "\\t\\tVCPU: +(\\d+),",
        "\\t\\tMemoryMb: +(\\d+),",
        "\\t\\tGPU: +\\d+,",
        '\\t\\tArchitecture: +"(\\w+)",',
        "\\t\\},$",
      ].join("\\n"),
      "gm",
    );
    const map = new Map<string, InstanceResources>();
    for (const m of file.text.matchAll(entry))
      map.set(m[1], { vcpu: Number(m[2]), memoryMb: Number(m[3]), architecture: m[4] });
    resources = map;
  }
  return resources;
}
