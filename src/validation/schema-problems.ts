/**
 * Every problem zod finds in one input, one per field, and the rest of the input parsed without
 * them, so the checks across fields still see every field that is fine.
 */
import { z } from "zod";
import { ConfigProblem } from "./config-error";

type Path = (string | number)[];

function valueAt(input: unknown, path: Path): unknown {
  let v: unknown = input;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/** The paths an issue is about: an unknown key names the key itself. */
function pathsOf(issue: z.ZodIssue): Path[] {
  return issue.code === z.ZodIssueCode.unrecognized_keys ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
}

function reasonOf(issue: z.ZodIssue): string {
  if (issue.code === z.ZodIssueCode.unrecognized_keys)
    return "is not a known field (see the README's configuration table)";
  return issue.message.replace(/^String must contain/, "must contain");
}

/** A copy of the input without the values at these paths; a list goes as a whole. */
function without(input: unknown, paths: Path[]): unknown {
  const copy = structuredClone(input) as Record<string | number, unknown>;
  for (const path of paths) {
    const cut = path.findIndex((k) => typeof k === "number");
    const keep = cut === -1 ? path : path.slice(0, cut);
    if (keep.length === 0) return undefined;
    const parent = valueAt(copy, keep.slice(0, -1));
    if (parent !== null && typeof parent === "object")
      delete (parent as Record<string | number, unknown>)[keep[keep.length - 1]];
  }
  return copy;
}

/**
 * zod's issues as problems, the first per field; and the input parsed again without those fields
 * (their defaults instead), or undefined when nothing usable is left.
 */
export function schemaProblems<S extends z.ZodTypeAny>(
  schema: S,
  input: unknown,
): { problems: ConfigProblem[]; data?: z.infer<S> } {
  const first = schema.safeParse(input);
  if (first.success) return { problems: [], data: first.data };
  const problems: ConfigProblem[] = [];
  for (const issue of first.error.issues)
    for (const path of pathsOf(issue)) {
      const field = path.join(".");
      if (!problems.some((p) => p.field === field))
        problems.push({ field, value: valueAt(input, path), reason: reasonOf(issue) });
    }
  const rest = without(input, first.error.issues.flatMap(pathsOf));
  const second = rest === undefined ? undefined : schema.safeParse(rest);
  return { problems, data: second?.success ? second.data : undefined };
}

/** Whether one field is, contains or lies inside the other ("network" and "network.vpcCidr"). */
export function sameOrNested(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`) || a === "" || b === "";
}

/**
 * Problems in the order of the fields (`fields`: every field's dotted path, in the schema's
 * order); a field the schema does not know goes where its parent goes, one unknown at the top
 * level last. Problems of one field keep the order they were found in.
 */
export function inFieldOrder(problems: readonly ConfigProblem[], fields: readonly string[]): ConfigProblem[] {
  const rank = (field: string): number => {
    const i = fields.findIndex((f) => f === field || field.startsWith(`${f}.`) || f.startsWith(`${field}.`));
    if (i !== -1) return i;
    const parent = field.includes(".") ? field.slice(0, field.lastIndexOf(".")) : undefined;
    return parent === undefined ? fields.length : rank(parent);
  };
  return [...problems].sort((a, b) => rank(a.field) - rank(b.field));
}
