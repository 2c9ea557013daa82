/**
 * A small reader over synthesized Terraform JSON (cdk.tf.json): resources by type, and the
 * `${type.name.attr}` references cdktf writes between them. The AWS-rules check and the flow
 * analysis (tools/flows/) use it, so both work on any synthesized configuration, not on our constructs.
 */
import { TerraformStack } from "cdktf";

export interface TfJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  [key: string]: unknown;
}

/** A resource's arguments as Terraform JSON holds them; `tags` is a map of strings wherever it is set. */
export type TfBody = Record<string, unknown> & { tags?: Record<string, string> };

export interface TfResource {
  readonly type: string;
  readonly name: string;
  /** `type.name`, the Terraform address. */
  readonly address: string;
  readonly body: TfBody;
}

/** The stack's Terraform JSON, as `cdktf synth` would write it, without writing anything. */
export function stackToJson(stack: TerraformStack): TfJson {
  return JSON.parse(JSON.stringify(stack.toTerraform()));
}

export function resourcesOf(tf: TfJson, type: string): TfResource[] {
  const byName = tf.resource?.[type] ?? {};
  return Object.entries(byName).map(([name, body]) => ({
    type,
    name,
    address: `${type}.${name}`,
    body: body as TfBody,
  }));
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
  return body ? { type, name, address, body: body as TfBody } : undefined;
}

/** A block list as Terraform JSON writes it: a list, one block on its own, or nothing. */
export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** The first block of a block list (Terraform JSON writes single blocks as a list of one). */
export const firstBlock = (v: unknown): Record<string, unknown> | undefined =>
  asArray(v)[0] as Record<string, unknown> | undefined;

/** A bool attribute, written as true or "true". */
export const isTrue = (v: unknown): boolean => v === true || v === "true";

/** Name tag of a resource, or its address. */
export function label(r: TfResource): string {
  const name = r.body.tags?.Name;
  return name ? `${r.address} (${name})` : r.address;
}

const VAR_REF = /^\$\{var\.([A-Za-z0-9_-]+)\}$/;
const FOR_EACH_VAR = /^\$\{(?:toset\()?var\.([A-Za-z0-9_-]+)\)?\}$/;

function substitute(value: unknown, vars: Record<string, unknown>, each?: string): unknown {
  if (typeof value === "string") {
    if (each !== undefined && (value === "${each.value}" || value === "${each.key}")) return each;
    const m = VAR_REF.exec(value);
    return m && m[1] in vars ? vars[m[1]] : value;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars, each));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars, each)]));
  return value;
}

/**
 * The configuration as `terraform apply` with no -var would build it: `${var.x}` replaced by the
 * variable's default, and resources with `for_each` over a list variable expanded into one
 * resource per element (named `name["element"]`). The AWS-rules check, the flow analysis and the
 * trace read this view; the synthesized JSON itself keeps the variables.
 */
export function withVariableDefaults(tf: TfJson): TfJson {
  const vars: Record<string, unknown> = {};
  for (const [name, v] of Object.entries((tf.variable ?? {}) as Record<string, { default?: unknown }>))
    vars[name] = v.default;
  const resource: NonNullable<TfJson["resource"]> = {};
  for (const [type, byName] of Object.entries(tf.resource ?? {})) {
    resource[type] = {};
    for (const [name, body] of Object.entries(byName)) {
      const m = typeof body.for_each === "string" ? FOR_EACH_VAR.exec(body.for_each) : null;
      const list = m ? vars[m[1]] : undefined;
      if (m && Array.isArray(list)) {
        const { for_each: _ignored, ...rest } = body;
        void _ignored;
        for (const element of new Set(list.map(String)))
          resource[type][`${name}["${element}"]`] = substitute(rest, vars, element) as Record<string, unknown>;
      } else {
        resource[type][name] = substitute(body, vars) as Record<string, unknown>;
      }
    }
  }
  return { ...tf, resource };
}
