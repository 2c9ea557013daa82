import { ConfigError } from "./config";
import { AwsRuleError } from "./analysis/aws-rules";

/** Prints a failure as the user should see it (a ConfigError: one line per problem) and returns the exit code. */
export function reportFailure(
  e: unknown,
  what = "synth",
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): number {
  if (e instanceof ConfigError || e instanceof AwsRuleError) {
    for (const line of e.message.split("\n")) write(line);
    return 1;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  write(`${what} failed: ${what === "synth" ? err.message.split("\n")[0] : err.message}`);
  if (process.env.DEBUG) write(err.stack ?? "");
  else write("(set DEBUG=1 for the stack trace)");
  return 2;
}
