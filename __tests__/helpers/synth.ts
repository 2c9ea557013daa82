import type * as Cdktf from "cdktf";
import type * as Config from "../../src/config";
import type * as App from "../../src/app";
import { gunzipSync } from "zlib";
import { createHash, randomUUID } from "crypto";
import { isDeepStrictEqual } from "util";
import * as fs from "fs";
import * as path from "path";
import { ENV as SYNTH_CACHE_ENV } from "../../jest/synth-cache";
import { ACTIVE_MUTANT } from "../../jest/file-coverage";
import { strykerSynthFolder } from "../../jest/bail-reset";
import { TfJson } from "../../src/analysis/tf-json";

export interface Synthesized {
  /** The JSON string, for Testing's matchers. */
  readonly text: string;
  readonly json: TfJson;
}

/**
 * cdktf and the app, loaded on the first synthesis in a test file: a file whose stacks the run has
 * already synthesized (clusterText) does not pay for loading them (about 0.6 s).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const app = (input: Record<string, unknown>) =>
  (require("../../src/app") as typeof App).buildApp(
    (require("../../src/config") as typeof Config).resolveConfig(input),
  );
const synthText = (stack: Parameters<typeof Cdktf.Testing.synth>[0]) =>
  (require("cdktf") as typeof Cdktf).Testing.synth(stack);
/* eslint-enable @typescript-eslint/no-require-imports */

const memo = new Map<string, Synthesized>();

/**
 * Where this run shares synthesized stacks between its test files: the unit tier's run folder
 * (jest/synth-cache.js); under Stryker, the folder of this mutant run (jest/bail-reset.js empties
 * it when the runner process starts its next run), and none in Stryker's initial run, which
 * records which test files execute which mutant (jest/file-coverage.js).
 */
export function sharedFolder(): string | undefined {
  if (!("__strykerGlobalNamespace__" in globalThis)) return process.env[SYNTH_CACHE_ENV];
  const mutant = process.env[ACTIVE_MUTANT];
  return mutant && path.join(strykerSynthFolder(path.resolve(__dirname, "../..")), mutant);
}

/**
 * The synthesized text of a configuration's cluster stack, shared by the test files of one run. A
 * folder that cannot be read or written is no shared stack: the file synthesizes its own, so a full
 * disk never fails a test (or kills a mutant).
 */
function clusterText(key: string, input: Record<string, unknown>): string {
  const dir = sharedFolder();
  const file = dir && path.join(dir, `${createHash("sha256").update(key).digest("hex")}.json`);
  const shared = file && attempt(() => fs.readFileSync(file, "utf8"));
  if (shared) return shared;
  const text = synthText(app(input).cluster);
  if (file)
    attempt(() => {
      // Written whole, then renamed: the other worker reads either nothing or the complete stack.
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const partial = `${file}.${randomUUID()}`;
      fs.writeFileSync(partial, text);
      fs.renameSync(partial, file);
    });
  return text;
}

/** What `f` returns, or undefined when it throws. */
function attempt<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** The cluster stack of a configuration (raw input, as a user would write it); memoized per input. Do not mutate. */
export function synthCluster(input: Record<string, unknown> = {}): Synthesized {
  const key = JSON.stringify(input);
  // The key must tell inputs apart: JSON drops undefined and turns NaN into null.
  if (!isDeepStrictEqual(JSON.parse(key), input))
    throw new Error(`synthCluster: ${key} is not the input it was given; pass plain JSON values`);
  let s = memo.get(key);
  if (!s) {
    const text = clusterText(key, input);
    s = { text, json: JSON.parse(text) };
    memo.set(key, s);
  }
  return s;
}

export function synthStateBucket(input: Record<string, unknown> = {}): Synthesized {
  const text = synthText(app(input).stateBucket);
  return { text, json: JSON.parse(text) };
}

/** Body of one resource by its Terraform address. */
export function resource(s: Synthesized, address: string): Record<string, any> {
  const [type, name] = address.split(".");
  const body = s.json.resource?.[type]?.[name];
  if (!body)
    throw new Error(
      `no ${address} in the synthesized stack; have: ${Object.keys(s.json.resource?.[type] ?? {}).join(", ")}`,
    );
  return body as Record<string, any>;
}

export const ref = (address: string, attr = "id") => `\${${address}.${attr}}`;

/** Defaults of Terraform variables, in the order asked. */
export function variableDefaults(s: Synthesized, names: string[]): unknown[] {
  const vars = (s.json as any).variable ?? {};
  return names.map((n) => {
    if (!(n in vars)) throw new Error(`no variable ${n}; have: ${Object.keys(vars).join(", ")}`);
    return vars[n].default;
  });
}

/**
 * The cloud-config a synthesized node receives, gunzipped from its base64 user data: its role's
 * launch template (every control-plane node gets the same one).
 */
export function userDataOf(json: TfJson, role: "control-plane" | "worker"): string {
  const resources = json.resource as Record<string, Record<string, Record<string, string>>>;
  const template = role === "worker" ? "worker_launch_template" : "control_plane_launch_template";
  const b64 = resources.aws_launch_template[template].user_data;
  return gunzipSync(Buffer.from(b64, "base64")).toString("utf8");
}

/**
 * The value inside a synthesized `${jsonencode({...})}`: cdktf writes it as an HCL object ("key" =
 * value, references bare), read back here as JSON with each reference as `${address.attribute}`.
 */
export function jsonencoded(expression: string): any {
  const m = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(expression);
  if (!m) throw new Error(`not a jsonencode() expression: ${expression.slice(0, 80)}`);
  const json = m[1].replace(/" = /g, '": ').replace(/(?<=[[{,:] ?)(aws_[a-z0-9_]+\.[a-z0-9_]+\.[a-z_]+)/g, '"${$1}"');
  return JSON.parse(json);
}
