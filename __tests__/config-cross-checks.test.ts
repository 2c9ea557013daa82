/**
 * The configuration's checks across fields (src/validation/config-checks.ts) run only when no field
 * they read has a problem of its own, so each must name exactly the fields it reads. Here each check
 * runs against parsed configurations that take its branches, through a proxy that notes every field
 * read, and the fields read must be the fields named.
 */
import { CROSS_CHECKS } from "../src/validation/config-checks";
import { configFieldPaths, schema } from "../src/validation/config-schema";

const FIELDS = configFieldPaths();
const isField = (p: string) => FIELDS.some((f) => f === p || f.startsWith(`${p}.`));

/** `value` seen through a proxy that adds the dotted path of every configuration field read to `read`. */
function watched<T>(value: T, read: Set<string>, prefix = ""): T {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return new Proxy(value as object, {
    get(target, key, receiver) {
      const got = Reflect.get(target, key, receiver);
      if (typeof key !== "string") return got;
      const at = prefix ? `${prefix}.${key}` : key;
      if (!isField(at)) return got;
      read.add(at);
      return watched(got, read, at);
    },
  }) as T;
}

/** Configurations that between them take every check's branches. */
const INPUTS: Record<string, unknown>[] = [
  {},
  { region: "cn-north-1", state: { region: "eu-west-1" }, workloadIdentity: { enabled: true } },
  { etcdBackup: { bucket: "k8s-cluster-tfstate-ap-northeast-2" } },
  {
    region: "xx-north-9",
    state: { region: "eu-west-9" },
    bastion: { instanceType: "t5.large" },
    controlPlane: { instanceType: "m9z.large" },
    workers: { instanceType: "t5.large", spot: { instanceTypes: ["t5.large", "m9z.large"] } },
    network: { vpcCidr: "10.0.0.0/8" },
    serviceCidr: "10.0.0.0/8",
  },
  {
    region: "eu-west-1",
    availabilityZones: ["eu-west-1a", "eu-west-1a", "us-east-1b"],
    azCount: 3,
    workers: { min: 3, max: 2, desired: 5 },
    etcdBackup: { bucket: "b" + "x".repeat(10) },
    state: { bucket: "b" + "x".repeat(10) },
    workloadIdentity: { enabled: true, bucket: "b" + "x".repeat(10) },
    network: { vpcCidr: "10.0.0.0/16" },
  },
  {
    allowUnlistedInstanceTypes: true,
    workers: { instanceType: "m5.large", spot: { instanceTypes: ["m5.large", "m5a.large", "m9z.large", "c5.xlarge"] } },
  },
  { workers: { instanceType: "m5.large", spot: { instanceTypes: ["m5.large", "m6g.large"] } } },
  { workers: { instanceType: "m5.large", spot: { instanceTypes: ["m5a.large", "c5.large"] } } },
];
const PARSED = INPUTS.map((input) => schema.parse(input));

describe("each check across fields names exactly the fields it reads", () => {
  test.each(CROSS_CHECKS.map((check, i) => [i, check.reads.join(", "), check] as const))(
    "check %i reads %s",
    (_i, _names, check) => {
      const read = new Set<string>();
      const found = PARSED.map((c) => check.problems(watched(c, read)).length);
      // The inputs take both ways of the check: one finds a problem, one does not.
      expect([found.some((n) => n > 0), found.some((n) => n === 0)]).toEqual([true, true]);
      // The fields read, without the objects passed through on the way (workers on the way to workers.max).
      const leaves = [...read].filter((p) => ![...read].some((q) => q.startsWith(`${p}.`)));
      const named = (p: string) => check.reads.some((f) => p === f || p.startsWith(`${f}.`));
      expect(leaves.filter((p) => !named(p))).toEqual([]);
      expect(check.reads.filter((f) => !leaves.some((p) => p === f || p.startsWith(`${f}.`)))).toEqual([]);
    },
  );
});
