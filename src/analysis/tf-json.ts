/**
 * A small reader over synthesized Terraform JSON (cdk.tf.json): resources by type, and the
 * `${type.name.attr}` references cdktf writes between them. The AWS-rules check and the flow
 * analysis use it, so both work on any synthesized configuration, not on our constructs.
 */
import { TerraformStack } from "cdktf";

export interface TfJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  [key: string]: unknown;
}

export interface TfResource {
  readonly type: string;
  readonly name: string;
  /** `type.name`, the Terraform address. */
  readonly address: string;
  readonly body: Record<string, any>;
}

/** The stack's Terraform JSON, as `cdktf synth` would write it, without writing anything. */
export function stackToJson(stack: TerraformStack): TfJson {
  return JSON.parse(JSON.stringify(stack.toTerraform()));
}

export function resourcesOf(tf: TfJson, type: string): TfResource[] {
  const byName = tf.resource?.[type] ?? {};
  return Object.entries(byName).map(([name, body]) => ({ type, name, address: `${type}.${name}`, body: body as Record<string, any> }));
}

export function allResources(tf: TfJson): TfResource[] {
  return Object.keys(tf.resource ?? {}).flatMap((t) => resourcesOf(tf, t));
}

const REF = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}$/;

/** The address a `${type.name.attr}` value points at, or undefined for a literal. */
export function refOf(value: unknown): { type: string; name: string; attr: string; address: string } | undefined {
  if (typeof value !== "string") return undefined;
  const m = REF.exec(value);
  if (!m) return undefined;
  return { type: m[1], name: m[2], attr: m[3], address: `${m[1]}.${m[2]}` };
}

export function byAddress(tf: TfJson, address: string): TfResource | undefined {
  const [type, name] = address.split(".");
  const body = tf.resource?.[type]?.[name];
  return body ? { type, name, address, body: body as Record<string, any> } : undefined;
}

/** Name tag of a resource, or its address. */
export function label(r: TfResource): string {
  const name = r.body.tags?.Name;
  return name ? `${r.address} (${name})` : r.address;
}
