/**
 * A rejected configuration: every problem found, one line each, naming the field, the value and
 * what to do. main.ts prints the lines and exits 1, with no stack trace.
 */

/** For problems with a whole file rather than a value in it. */
export const NO_VALUE = Symbol("no value");

export interface ConfigProblem {
  /** Dotted path of the field, e.g. "workers.min" or "availabilityZones.0". */
  readonly field: string;
  /** The value as the user wrote it, or NO_VALUE. */
  readonly value: unknown;
  /** What is wrong and what to do, e.g. "must be 1, 2 or 3". */
  readonly reason: string;
}

export function configProblem(field: string, value: unknown, reason: string): ConfigProblem {
  return { field, value, reason };
}

export function showValue(value: unknown): string {
  if (value === undefined) return "(missing)";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function lineOf(p: ConfigProblem): string {
  return `invalid configuration: ${p.field || "(root)"}${p.value === NO_VALUE ? "" : ` = ${showValue(p.value)}`}: ${
    p.reason
  }`;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(field: string, value: unknown, reason: string);
  constructor(problems: readonly ConfigProblem[]);
  constructor(first: string | readonly ConfigProblem[], value?: unknown, reason = "") {
    const problems = typeof first === "string" ? [{ field: first, value, reason }] : first;
    super(problems.map(lineOf).join("\n"));
    this.problems = problems;
    this.name = "ConfigError";
  }
}
