/**
 * The configuration's schema: every field, its type, its default and the rule for one value on its
 * own (checks across fields are in config-checks.ts). zod reports what it finds here; src/config.ts
 * turns that into one line per problem.
 */
import { z } from "zod";
import { cidrProblem } from "../aws/cidr";
import { DEFAULT_KUBERNETES_MINOR, SUPPORTED_KUBERNETES_MINORS } from "../bootstrap/versions";
import { onCalendarProblem } from "./systemd-calendar";
import { AZ_NAME, REGION_NAME } from "../aws/regions";
import { spotSchema } from "../aws/spot";
import { PROJECT_TAGS_MAX, USER_TAGS_MAX, tagProblem } from "./aws-tags";
import { EBS_GP3_MAX_GIB, EC2_KEY_PAIR_NAME_MAX_CHARS, ELB_NAME_LIMITS, S3_LIMITS, TAG_LIMITS } from "../aws/limits";

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
    region: z.string().regex(REGION_NAME, "is not an AWS region name like ap-northeast-2").default("ap-northeast-2"),
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
      .array(z.string().regex(AZ_NAME, "is not an availability zone name like ap-northeast-2a"))
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
        region: z.string().regex(REGION_NAME, "is not an AWS region name like ap-northeast-2").optional(),
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

/** The configuration as zod parsed it: defaults filled in where the schema has them. */
export type ParsedConfig = z.infer<typeof schema>;

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

/** The buckets' default names (their fields unset); S3 names are global, so each names the region. */
export function defaultBucketNames(c: Pick<ParsedConfig, "clusterName" | "region">) {
  return {
    state: `${c.clusterName}-tfstate-${c.region}`,
    etcdBackup: `${c.clusterName}-etcd-backup-${c.region}`,
    issuer: `${c.clusterName}-oidc-${c.region}`,
  };
}
