/**
 * The stub's guard (harness/stubs.sh command_not_found_handle, node.ts): a command or function the
 * stub calls that does not exist, such as a part of the stub not read for that call, fails the test
 * with the harness's own message, whatever exit code the script under test would make of it.
 */
import * as fs from "fs";
import * as path from "path";
import { ALL_PARAMETERS, nodeRunner } from "../harness/boot";

const node = nodeRunner();
const TARGET_STATE = "http://169.254.169.254/latest/meta-data/autoscaling/target-lifecycle-state";
const TOKEN = "X-aws-ec2-metadata-token: imds-session-token";

test("IMDS's target lifecycle state is answered from the lifecycle part, read for that URL only", () => {
  const n = node("worker", { ssm: ALL_PARAMETERS });
  expect(n.stub("curl", "-s", "-H", TOKEN, TARGET_STATE)).toEqual({ status: 0, stdout: "InService", stderr: "" });
});

test("with that part not read, the call fails the test, naming the stub and the missing function", () => {
  const n = node("worker", { ssm: ALL_PARAMETERS });
  const stub = path.join(path.dirname(n.root), "bin", "stub");
  const text = fs.readFileSync(stub, "utf8");
  expect(text).toContain('|| target_state "$@"; then');
  fs.writeFileSync(stub, text.replace('|| target_state "$@"; then', "|| false; then"));
  expect(() => n.stub("curl", "-s", "-H", TOKEN, TARGET_STATE)).toThrow(
    "harness: stub curl: imds_target_state: command not found",
  );
});
