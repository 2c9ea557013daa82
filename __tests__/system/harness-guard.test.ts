/**
 * The stub's guard (harness/stubs.sh command_not_found_handle, node.ts): a command or function the
 * stub calls by name that does not exist, such as a part of the stub not read for that call, fails
 * the test with the harness's own message, whatever the script under test made of the failed call.
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

test("a script that swallows the failed call still fails the test (runs on the node are checked too)", () => {
  const n = node("worker", { ssm: ALL_PARAMETERS });
  const stub = path.join(path.dirname(n.root), "bin", "stub");
  fs.writeFileSync(stub, fs.readFileSync(stub, "utf8").replace('|| target_state "$@"; then', "|| false; then"));
  const probe = "/usr/local/sbin/probe-target-state";
  fs.writeFileSync(
    path.join(n.root, probe),
    `#!/bin/bash\ncurl -s -H "${TOKEN}" ${TARGET_STATE} || echo "not answered"\nexit 0\n`,
    { mode: 0o755 },
  );
  expect(() => n.exec(probe)).toThrow("harness: stub curl: imds_target_state: command not found");
});

test("the URL is recognised anywhere among curl's arguments", () => {
  const n = node("worker", { ssm: ALL_PARAMETERS });
  expect(n.stub("curl", TARGET_STATE, "-s", "-H", TOKEN).stdout).toBe("InService");
});
