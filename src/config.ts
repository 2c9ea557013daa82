/**
 * The cluster's configuration: every field has a default, so an empty file (or none) synthesizes
 * the spec's cluster. Validated with zod, then across fields, then by planning the network: every
 * problem found becomes one line naming the field and the value, all of them in one ConfigError
 * (in the order of the fields), never a stack trace.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { awsPrefixProblem, cidrProblem, overlaps, parseCidr } from "./aws/cidr";
import { DEFAULT_KUBERNETES_MINOR, SUPPORTED_KUBERNETES_MINORS } from "./bootstrap/versions";
import { vpcTable } from "./spec/network";
import { onCalendarProblem } from "./validation/systemd-calendar";
import { KNOWN_REGIONS, REGIONS_SOURCE } from "./aws/regions";
import { instanceTypeProblem } from "./aws/instance-types";
import { spotGroupProblems, spotSchema, spotTypeProblems } from "./aws/spot";
import { PROJECT_TAGS_MAX, USER_TAGS_MAX, tagProblem } from "./validation/aws-tags";
import { EBS_GP3_MAX_GIB, EC2_KEY_PAIR_NAME_MAX_CHARS, ELB_NAME_LIMITS, S3_LIMITS, TAG_LIMITS } from "./aws/limits";
import { ConfigError, ConfigProblem, NO_VALUE } from "./validation/config-error";
import { inFieldOrder, sameOrNested, schemaProblems } from "./validation/schema-problems";
import { planNetwork } from "./aws/network-plan";

export { ConfigError, NO_VALUE, showValue } from "./validation/config-error";
export type { ConfigProblem } from "./validation/config-error";

const REGION =
  /^[a-z]{2}(-gov|-iso[a-z]?)?-(central|north|south|east|west|northeast|northwest|southeast|southwest)-[1-9]$/;
const AZ =
  /^[a-z]{2}(-gov|-iso[a-z]?)?-(central|north|south|east|west|northeast|northwest|southeast|southwest)-[1-9][a-z]$/;
const CLUSTER_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
// AWS general purpose bucket naming rules (lowercase, digits, dots, hyphens; 3-63; alnum ends).
const { bucketNameMinChars, bucketNameMaxChars } = S3_LIMITS;
const BUCKET = new RegExp(`^[a-z0-9][a-z0-9.-]{${bucketNameMinChars - 2},${bucketNameMaxChars - 2}}[a-z0-9]$`);
// EC2 instance types: family (letters, digits, optional attribute letters/dashes) "." size.
export const INSTANCE_TYPE =
  /^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.(nano|micro|small|medium|large|metal|[0-9]+xlarge|xlarge)(-[a-z0-9]+)?$/;

const instanceType = z.string().regex(INSTANCE_TYPE, "is not an EC2 instance type like t3.medium");

const cidr = z.string().superRefine((v, ctx) => {
  const problem = cidrProblem(v);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});

const bucketName = z
  .string()
  .regex(
    BUCKET,
    `must be ${bucketNameMinChars}-${bucketNameMaxChars} characters of lowercase letters, digits, dots and hyphens, ` +
      "starting and ending with a letter or digit",
  )
  .refine((v) => !v.includes(".."), "must not contain two adjacent dots")
  .refine((v) => !/^\d+\.\d+\.\d+\.\d+$/.test(v), "must not look like an IP address")
  .refine(
    (v) => !v.startsWith("xn--") && !v.endsWith("-s3alias") && !v.endsWith("--ol-s3"),
    "uses a prefix or suffix AWS reserves",
  );

export const schema = z
  .object({
    clusterName: z
      .string()
      .regex(CLUSTER_NAME, "must be 2-32 lowercase letters, digits and hyphens, starting with a letter")
      // Load balancer names (<cluster>-api) may not begin with "internal-".
      .refine(
        (v) => !v.startsWith(ELB_NAME_LIMITS.reservedPrefix),
        `must not start with ${ELB_NAME_LIMITS.reservedPrefix} (AWS reserves it for load balancer names)`,
      )
      .default("k8s-cluster"),
    region: z.string().regex(REGION, "is not an AWS region name like ap-northeast-2").default("ap-northeast-2"),
    /** Accept a region newer than the known list (src/aws/regions.ts). */
    allowUnlistedRegion: z.boolean().default(false),
    /** Accept an instance type newer than the known list (src/aws/instance-types.ts). */
    allowUnlistedInstanceTypes: z.boolean().default(false),
    azCount: z
      .number()
      .int("must be a whole number")
      .min(1, "must be 1, 2 or 3")
      .max(3, "must be 1, 2 or 3")
      .default(1),
    availabilityZones: z
      .array(z.string().regex(AZ, "is not an availability zone name like ap-northeast-2a"))
      .min(1)
      .max(3)
      .optional(),
    natGateways: z.enum(["single", "perAz"]).default("single"),
    bootstrapEgress: z.boolean().default(true),
    network: z
      .object({
        vpcCidr: cidr.optional(),
        subnets: z
          .object({
            apiEndpoint: cidr.optional(),
            workers: cidr.optional(),
            loadBalancers: cidr.optional(),
            bastion: cidr.optional(),
            pods: cidr.optional(),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    state: z
      .object({
        bucket: bucketName.optional(),
        key: z
          .string()
          .min(1, "must not be empty")
          .max(S3_LIMITS.objectKeyMaxBytes)
          .regex(/^[^/].*[^/]$|^[^/]$/, "must not start or end with a slash")
          .optional(),
        region: z.string().regex(REGION, "is not an AWS region name like ap-northeast-2").optional(),
      })
      .strict()
      .default({}),
    bastion: z
      .object({
        // The spec's 0.0.0.0/0; a synth-time warning recommends a narrower list.
        adminCidrs: z.array(cidr).min(1, "must list at least one CIDR").default(["0.0.0.0/0"]),
        instanceType: instanceType.default("t3.micro"),
      })
      .strict()
      .default({}),
    kubernetesVersion: z
      .string()
      .regex(/^1\.\d{1,2}$/, "must be a Kubernetes minor like 1.35 (the patch comes from pkgs.k8s.io)")
      .refine(
        (v) => SUPPORTED_KUBERNETES_MINORS.includes(v),
        `must be one of the minors with a pinned cloud controller: ${SUPPORTED_KUBERNETES_MINORS.join(", ")}`,
      )
      .default(DEFAULT_KUBERNETES_MINOR),
    serviceCidr: cidr.default("10.96.0.0/12"),
    controlPlane: z
      .object({
        count: z
          .number()
          .int()
          .refine((n) => n === 1 || n === 3 || n === 5, "must be 1, 3 or 5 (an odd number keeps etcd's quorum)")
          .default(3),
        // kubeadm's preflight needs 2 CPUs and about 1.7 GB: nano and micro sizes fail it.
        instanceType: instanceType
          .refine(
            (t) => !/\.(nano|micro)$/.test(t),
            "is too small for a control-plane node (kubeadm needs 2 vCPUs and 1.7 GB: use small or larger)",
          )
          .default("t3.medium"),
        rootVolumeGiB: z.number().int().min(20, "must be at least 20 GiB").max(EBS_GP3_MAX_GIB).default(40),
      })
      .strict()
      .default({}),
    workers: z
      .object({
        min: z.number().int().min(0).max(1000).default(2),
        desired: z.number().int().min(0).max(1000).default(2),
        max: z.number().int().min(1).max(1000).default(5),
        instanceType: instanceType.default("t3.large"),
        rootVolumeGiB: z.number().int().min(20, "must be at least 20 GiB").max(EBS_GP3_MAX_GIB).default(50),
        /** Spot capacity: a mixed instances policy over these types (src/aws/spot.ts). */
        spot: spotSchema(instanceType).optional(),
      })
      .strict()
      .default({}),
    sshKeyName: z
      .string()
      .min(1)
      .max(EC2_KEY_PAIR_NAME_MAX_CHARS)
      .regex(/^[\x20-\x7e]+$/, "must be ASCII")
      .optional(),
    amiId: z
      .string()
      .regex(/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/, "is not an AMI id like ami-0123456789abcdef0")
      .optional(),
    loadBalancers: z
      .object({
        clientCidrs: z.array(cidr).min(1, "must list at least one CIDR").default(["0.0.0.0/0"]),
        listeners: z
          .array(
            z
              .object({ port: z.number().int().min(1).max(65535), protocol: z.enum(["tcp", "udp"]).default("tcp") })
              .strict(),
          )
          .min(1, "must list at least one listener")
          .default([
            { port: 80, protocol: "tcp" },
            { port: 443, protocol: "tcp" },
          ]),
      })
      .strict()
      .default({}),
    etcdBackup: z
      .object({
        enabled: z.boolean().default(true),
        bucket: bucketName.optional(),
        schedule: z
          .string()
          .superRefine((v, ctx) => {
            const problem = onCalendarProblem(v);
            if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
          })
          .default("hourly"),
        retentionDays: z.number().int().min(1, "must be at least 1 day").max(3650).default(14),
      })
      .strict()
      .default({}),
    // Workload identity (docs/workload-identity.md): the service-account issuer in a public S3 bucket,
    // the IAM OIDC provider, the pod identity webhook; false removes all of it.
    workloadIdentity: z
      .object({
        enabled: z.boolean().default(true),
        // Virtual-hosted HTTPS (https://<bucket>.s3.<region>.amazonaws.com) covers names without dots only.
        bucket: bucketName
          .refine((v) => !v.includes("."), "must not contain dots (S3's HTTPS certificate covers no dotted name)")
          .optional(),
      })
      .strict()
      .default({}),
    // Optional add-ons; false removes the add-on and everything AWS-side it needs.
    addons: z
      .object({
        /** The AWS EBS CSI driver, its IAM policy and the default StorageClass gp3. */
        ebsCsi: z.boolean().default(true),
        metricsServer: z.boolean().default(true),
        clusterAutoscaler: z.boolean().default(true),
      })
      .strict()
      .default({}),
    tags: z
      .record(z.string())
      .superRefine((tags, ctx) => {
        for (const [k, v] of Object.entries(tags)) {
          const problem = tagProblem(k, v);
          if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [k], message: problem });
        }
        const n = Object.keys(tags).length;
        if (n > USER_TAGS_MAX)
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message:
              `has ${n} tags; AWS allows ${TAG_LIMITS.perResourceMax} per resource and this project puts up to ` +
              `${PROJECT_TAGS_MAX} of its own on one, so at most ${USER_TAGS_MAX}`,
          });
      })
      .default({}),
  })
  .strict();

type Parsed = z.infer<typeof schema>;

/** Every configurable field as a dotted path (for the README check). */
export function configFieldPaths(): string[] {
  const walk = (t: z.ZodTypeAny, prefix: string): string[] => {
    let inner = t;
    while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional || inner instanceof z.ZodEffects)
      inner = inner instanceof z.ZodEffects ? inner.innerType() : inner._def.innerType;
    if (inner instanceof z.ZodObject)
      return Object.entries(inner.shape as Record<string, z.ZodTypeAny>).flatMap(([k, v]) =>
        walk(v, prefix ? `${prefix}.${k}` : k),
      );
    return [prefix];
  };
  return walk(schema, "");
}

export interface ClusterConfig extends Omit<Parsed, "state" | "availabilityZones" | "etcdBackup" | "workloadIdentity"> {
  /** Warnings about the configuration (printed by the synth; they do not stop it). */
  readonly warnings: readonly string[];
  readonly availabilityZones: readonly string[];
  readonly etcdBackup: {
    readonly enabled: boolean;
    readonly bucket: string;
    readonly schedule: string;
    readonly retentionDays: number;
  };
  readonly state: { readonly bucket: string; readonly key: string; readonly region: string };
  /** The issuer bucket's name: workloadIdentity.bucket, or `<clusterName>-oidc-<region>`. */
  readonly workloadIdentity: { readonly enabled: boolean; readonly bucket: string };
}

const configProblem = (field: string, value: unknown, reason: string): ConfigProblem => ({ field, value, reason });

/** A check across fields; it runs only when no field it reads has a problem already. */
interface CrossCheck {
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
const CROSS_CHECKS: readonly CrossCheck[] = [
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
      c.etcdBackup.bucket !== undefined &&
      c.etcdBackup.bucket === (c.state.bucket ?? `${c.clusterName}-tfstate-${c.region}`)
        ? [configProblem("etcdBackup.bucket", c.etcdBackup.bucket, "must differ from state.bucket")]
        : [],
  },
  {
    reads: ["workloadIdentity.bucket", "etcdBackup.bucket", "state.bucket", "clusterName", "region"],
    problems: (c) => {
      const own = c.workloadIdentity.bucket ?? defaultIssuerBucket(c);
      const others: [string, string][] = [
        ["state.bucket", c.state.bucket ?? `${c.clusterName}-tfstate-${c.region}`],
        ["etcdBackup.bucket", c.etcdBackup.bucket ?? `${c.clusterName}-etcd-backup-${c.region}`],
      ];
      const same = others.find(([, name]) => name === own);
      return c.workloadIdentity.enabled && same
        ? [configProblem("workloadIdentity.bucket", own, `must differ from ${same[0]} (the issuer bucket is public)`)]
        : [];
    },
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

/** The issuer bucket's default name. */
function defaultIssuerBucket(c: Pick<Parsed, "clusterName" | "region">): string {
  return `${c.clusterName}-oidc-${c.region}`;
}

/** What planning the network reads: its tiers' blocks and how many zones they are split over. */
const NETWORK_PLAN_READS = ["network", "availabilityZones", "azCount"];

/**
 * Validates raw input (a parsed JSON object) and applies defaults. Throws one ConfigError with
 * every problem found, one line each, in the order of the fields.
 */
export function resolveConfig(input: unknown = {}): ClusterConfig {
  const { problems, data } = schemaProblems(schema, input ?? {});
  const fine = (fields: readonly string[]) => !problems.some((p) => fields.some((f) => sameOrNested(p.field, f)));
  let config: ClusterConfig | undefined;
  if (data) {
    for (const check of CROSS_CHECKS) if (fine(check.reads)) problems.push(...check.problems(data));
    config = withDefaults(data);
    if (fine(NETWORK_PLAN_READS)) problems.push(...networkPlanProblems(config));
  }
  if (problems.length > 0 || !config) throw new ConfigError(inFieldOrder(problems, configFieldPaths()));
  return config;
}

function networkPlanProblems(config: ClusterConfig): readonly ConfigProblem[] {
  try {
    planNetwork(config);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

/** The configuration with every default filled in, and the warnings about it. */
function withDefaults(c: Parsed): ClusterConfig {
  const zones = c.availabilityZones ?? ["a", "b", "c"].map((l) => `${c.region}${l}`);
  // S3 bucket names are global: a name derived from the defaults is likely taken by someone else.
  const warnings: string[] = [];
  if (c.state.bucket === undefined)
    warnings.push(
      `state.bucket defaults to "${c.clusterName}-tfstate-${c.region}"; bucket names are global, so set your own ` +
        `before the first apply`,
    );
  if (!c.bootstrapEgress)
    warnings.push(
      "bootstrapEgress is false: nodes download packages, images and the add-ons at boot, so as built they cannot " +
        "join without a pre-baked image and interface endpoints this stack does not create",
    );
  if (c.etcdBackup.enabled && c.etcdBackup.bucket === undefined)
    warnings.push(
      `etcdBackup.bucket defaults to "${c.clusterName}-etcd-backup-${c.region}"; bucket names are global, so set ` +
        `your own before the first apply`,
    );
  if (c.workloadIdentity.enabled && c.workloadIdentity.bucket === undefined)
    warnings.push(
      `workloadIdentity.bucket defaults to "${defaultIssuerBucket(c)}"; bucket names are global, so set your own ` +
        `before the first apply`,
    );
  return {
    ...c,
    warnings,
    workloadIdentity: {
      enabled: c.workloadIdentity.enabled,
      bucket: c.workloadIdentity.bucket ?? defaultIssuerBucket(c),
    },
    availabilityZones: zones.slice(0, c.azCount),
    etcdBackup: { ...c.etcdBackup, bucket: c.etcdBackup.bucket ?? `${c.clusterName}-etcd-backup-${c.region}` },
    state: {
      bucket: c.state.bucket ?? `${c.clusterName}-tfstate-${c.region}`,
      key: c.state.key ?? `${c.clusterName}/terraform.tfstate`,
      region: c.state.region ?? c.region,
    },
  };
}

export const DEFAULT_CONFIG_FILE = "cluster.config.json";

/** JSON.parse's message with its character position as line and column. */
function jsonErrorWhere(text: string, message: string): string {
  const first = message.split("\n")[0];
  const m = /at position (\d+)/.exec(first);
  if (!m) return first;
  const before = text.slice(0, Number(m[1]));
  const line = before.split("\n").length;
  const column = Number(m[1]) - before.lastIndexOf("\n");
  return (
    `${first.replace(/ in JSON at position \d+.*$/, "").replace(/ at position \d+.*$/, "")} at line ${line}, ` +
    `column ${column}`
  );
}

/**
 * Reads the configuration file: $CLUSTER_CONFIG if set, else ./cluster.config.json if present,
 * else nothing (all defaults).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ClusterConfig {
  const explicit = env.CLUSTER_CONFIG;
  const file = explicit ? path.resolve(cwd, explicit) : path.join(cwd, DEFAULT_CONFIG_FILE);
  if (!fs.existsSync(file)) {
    if (explicit) throw new ConfigError("CLUSTER_CONFIG", explicit, "file does not exist");
    return resolveConfig({});
  }
  const name = path.relative(cwd, file) || file;
  if (fs.statSync(file).isDirectory())
    throw new ConfigError(name, NO_VALUE, "is a directory, not a configuration file");
  const text = fs.readFileSync(file, "utf8");
  if (text.charCodeAt(0) === 0xfeff)
    throw new ConfigError(name, NO_VALUE, "starts with a byte-order mark; save it as UTF-8 without one");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(name, NO_VALUE, `is not valid JSON: ${jsonErrorWhere(text, (e as Error).message)}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw new ConfigError(
      name,
      NO_VALUE,
      `holds ${raw === null ? "null" : Array.isArray(raw) ? "an array" : `a ${typeof raw}`}, not an object; write {} ` +
        `(or no file) for the defaults`,
    );
  return resolveConfig(raw);
}
