/**
 * The synthesized stacks of four configurations equal the golden files in __tests__/golden/. A
 * change to what synth emits fails here with the paths that changed; when it is intended, run
 * `npm run golden` and review the diff of those files as part of the change.
 */
import * as fs from "fs";
import * as path from "path";
import { GOLDEN_CONFIGS, goldenStacks } from "../tools/golden";

/** Dotted paths where a and b differ (at most `limit`). */
function differences(a: unknown, b: unknown, at = "", out: string[] = [], limit = 12): string[] {
  if (out.length >= limit) return out;
  if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys)
      differences(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        at ? `${at}.${k}` : k,
        out,
        limit,
      );
  } else if (JSON.stringify(a) !== JSON.stringify(b))
    out.push(`${at}: ${JSON.stringify(b)?.slice(0, 120)} (golden: ${JSON.stringify(a)?.slice(0, 120)})`);
  return out;
}

describe.each(Object.entries(GOLDEN_CONFIGS))("golden stacks: %s", (name, input) => {
  // Synthesized inside the first test, not while the file loads: a synth that throws is a failed test.
  let stacks: Record<string, string> | undefined;
  test.each(["cluster", "state-bucket"])(
    "%s equals __tests__/golden/" + name + ".%s.tf.json (npm run golden rewrites it)",
    (stack) => {
      stacks ??= goldenStacks(input);
      const file = path.join(__dirname, "golden", `${name}.${stack}.tf.json`);
      const golden = fs.readFileSync(file, "utf8");
      if (golden === stacks[stack]) return;
      const diff = differences(JSON.parse(golden), JSON.parse(stacks[stack]));
      const where = diff.length ? ` at:\n  ${diff.join("\n  ")}` : " (formatting)";
      throw new Error(
        `${path.relative(process.cwd(), file)} differs from what synth emits${where}\n` +
          "If the change is intended, run npm run golden and review the diff.",
      );
    },
  );
});
