/**
 * Spot capacity for the workers' group (`workers.spot`): the configuration's shape, its checks
 * against the instance-type data and the cluster autoscaler's rule, and the order of the group's
 * launch template overrides.
 *
 * - Allocation: price-capacity-optimized, the strategy the EC2 Auto Scaling API reference
 *   (InstancesDistribution, SpotAllocationStrategy) marks "recommended": the pools least likely
 *   to be interrupted, and of those the cheapest. On-Demand capacity is "prioritized": the first
 *   override, workers.instanceType, then the others in the order listed.
 * - At most 40 instance types per group (the API's limit on a mixed instances policy).
 * - The cluster autoscaler models every node of a group by the group's first instance type and
 *   asks for types of "the same amount of RAM and number of CPU cores" (cloudprovider/aws/README.md
 *   of kubernetes/autoscaler, "Using Mixed Instances Policies and Spot Instances"); with it on,
 *   every type must match workers.instanceType in both, by the autoscaler's own list.
 */
import { z } from "zod";
import { architectureOf } from "./instances";
import { INSTANCE_RESOURCES_SOURCE, InstanceResources, instanceResources, instanceTypeProblem } from "./instance-types";
import { ConfigProblem, configProblem } from "../validation/config-error";

export const SPOT_ALLOCATION_STRATEGY = "price-capacity-optimized";
export const ON_DEMAND_ALLOCATION_STRATEGY = "prioritized";
/** Instance types one Auto Scaling group's mixed instances policy may name. */
export const MIXED_INSTANCES_MAX_TYPES = 40;

const percent = "must be a whole number from 0 to 100";

/** The `workers.spot` object (instanceType: the configuration's instance type string schema). */
export function spotSchema(instanceType: z.ZodString) {
  return z
    .object({
      instanceTypes: z
        .array(instanceType)
        .min(2, "must list at least 2 instance types: more types are more Spot pools to launch from")
        .max(MIXED_INSTANCES_MAX_TYPES, `must list at most ${MIXED_INSTANCES_MAX_TYPES} instance types (AWS's limit)`)
        .superRefine((types, ctx) =>
          types.forEach((type, i) => {
            if (types.indexOf(type) < i)
              ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i], message: "is listed twice; list each type once" });
          }),
        ),
      onDemandBaseCapacity: z
        .number()
        .int("must be a whole number")
        .min(0, "must be 0 or more")
        .max(1000, "must be at most 1000")
        .default(0),
      onDemandPercentageAboveBaseCapacity: z.number().int(percent).min(0, percent).max(100, percent).default(0),
    })
    .strict();
}

export type SpotSettings = z.infer<ReturnType<typeof spotSchema>>;

interface SpotInput {
  readonly workers: { readonly instanceType: string; readonly spot?: SpotSettings };
  readonly allowUnlistedInstanceTypes: boolean;
  readonly addons: { readonly clusterAutoscaler: boolean };
}

const FIELD = "workers.spot.instanceTypes";

/** Each listed type on its own: one the repository knows (or allowUnlistedInstanceTypes). */
export function spotTypeProblems({ workers: { spot }, allowUnlistedInstanceTypes }: SpotInput): ConfigProblem[] {
  if (!spot) return [];
  return spot.instanceTypes.flatMap((type, i) => {
    const why = instanceTypeProblem(type, allowUnlistedInstanceTypes);
    return why ? [configProblem(`${FIELD}.${i}`, type, why)] : [];
  });
}

const size = (r: InstanceResources) => `${r.vcpu} vCPUs and ${r.memoryMb} MiB`;

/** The list against workers.instanceType: included, one architecture, the autoscaler's sizes. */
export function spotGroupProblems(c: SpotInput): ConfigProblem[] {
  const { spot, instanceType: base } = c.workers;
  if (!spot) return [];
  if (!spot.instanceTypes.includes(base))
    return [
      configProblem(
        FIELD,
        spot.instanceTypes,
        `does not include workers.instanceType (${base}), the group's first choice and the type the cluster ` +
          "autoscaler models its nodes on; add it",
      ),
    ];
  const arch = architectureOf(base);
  const found: ConfigProblem[] = [];
  spot.instanceTypes.forEach((type, i) => {
    if (architectureOf(type) !== arch)
      found.push(
        configProblem(
          `${FIELD}.${i}`,
          type,
          `is ${architectureOf(type)} but workers.instanceType ${base} is ${arch}, and the workers' image is ` +
            `looked up for one architecture; list ${arch} types only`,
        ),
      );
  });
  if (found.length > 0 || !c.addons.clusterAutoscaler) return found;
  const known = instanceResources();
  const unlisted = (type: string, i: number) =>
    c.allowUnlistedInstanceTypes
      ? []
      : [
          configProblem(
            `${FIELD}.${i}`,
            type,
            `has no vCPU and memory in the cluster autoscaler's list (${INSTANCE_RESOURCES_SOURCE}) to compare; ` +
              "choose a listed type, or set allowUnlistedInstanceTypes: true to skip the comparison",
          ),
        ];
  const baseSize = known.get(base);
  if (!baseSize) return unlisted(base, spot.instanceTypes.indexOf(base));
  spot.instanceTypes.forEach((type, i) => {
    const own = known.get(type);
    if (!own) {
      found.push(...unlisted(type, i));
      return;
    }
    if (own.vcpu !== baseSize.vcpu || own.memoryMb !== baseSize.memoryMb)
      found.push(
        configProblem(
          `${FIELD}.${i}`,
          type,
          `has ${size(own)} but workers.instanceType ${base} has ${size(baseSize)}; the cluster autoscaler ` +
            "plans every node of the group as the first type, so list types of the same size (or set " +
            "addons.clusterAutoscaler: false)",
        ),
      );
  });
  return found;
}

/** The launch template overrides in order: workers.instanceType first, then the others as listed. */
export function overrideOrder(instanceType: string, spot: SpotSettings): string[] {
  return [instanceType, ...spot.instanceTypes.filter((t) => t !== instanceType)];
}
