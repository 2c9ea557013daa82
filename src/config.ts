/**
 * The cluster's configuration: every field has a default, so an empty file (or none) synthesizes
 * the spec's cluster. Validated with zod (the schema: validation/config-schema.ts), then across
 * fields (validation/config-checks.ts), then by planning the network: every problem found becomes
 * one line naming the field and the value, all of them in one ConfigError (in the order of the
 * fields), never a stack trace. This module runs those steps, fills in the defaults and reads the file.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigError, ConfigProblem, NO_VALUE } from "./validation/config-error";
import { inFieldOrder, sameOrNested, schemaProblems } from "./validation/schema-problems";
import { ParsedConfig as Parsed, configFieldPaths, defaultBucketNames, schema } from "./validation/config-schema";
import { CROSS_CHECKS } from "./validation/config-checks";
import { planNetwork } from "./aws/network-plan";

export { ConfigError, NO_VALUE, showValue } from "./validation/config-error";
export type { ConfigProblem } from "./validation/config-error";
export { INSTANCE_TYPE, configFieldPaths, schema } from "./validation/config-schema";

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
  const defaults = defaultBucketNames(c);
  const zones = c.availabilityZones ?? ["a", "b", "c"].map((l) => `${c.region}${l}`);
  // S3 bucket names are global: a name derived from the defaults is likely taken by someone else.
  const warnings: string[] = [];
  if (c.state.bucket === undefined)
    warnings.push(
      `state.bucket defaults to "${defaults.state}"; bucket names are global, so set your own ` +
        `before the first apply`,
    );
  if (!c.bootstrapEgress)
    warnings.push(
      "bootstrapEgress is false: nodes download packages, images and the add-ons at boot, so as built they cannot " +
        "join without a pre-baked image and interface endpoints this stack does not create",
    );
  if (c.etcdBackup.enabled && c.etcdBackup.bucket === undefined)
    warnings.push(
      `etcdBackup.bucket defaults to "${defaults.etcdBackup}"; bucket names are global, so set ` +
        `your own before the first apply`,
    );
  if (c.workloadIdentity.enabled && c.workloadIdentity.bucket === undefined)
    warnings.push(
      `workloadIdentity.bucket defaults to "${defaults.issuer}"; bucket names are global, so set your own ` +
        `before the first apply`,
    );
  return {
    ...c,
    warnings,
    workloadIdentity: {
      enabled: c.workloadIdentity.enabled,
      bucket: c.workloadIdentity.bucket ?? defaults.issuer,
    },
    availabilityZones: zones.slice(0, c.azCount),
    etcdBackup: { ...c.etcdBackup, bucket: c.etcdBackup.bucket ?? defaults.etcdBackup },
    state: {
      bucket: c.state.bucket ?? defaults.state,
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
