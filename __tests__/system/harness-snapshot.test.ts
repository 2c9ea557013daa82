/**
 * The harness's copies of booted nodes (nodeRunner, harness/snapshot.ts): a second boot with the same
 * arguments is the first node's folder as its boot left it, in a folder of its own, with the same
 * result, and what a test then runs on one node leaves the other unchanged.
 */
import * as fs from "fs";
import * as path from "path";
import { nodeRunner } from "../harness/boot";
import { TERRAFORM_PARAMETERS } from "../harness/node";

const node = nodeRunner();
const first = node("control-plane", { ssm: TERRAFORM_PARAMETERS });
const copy = node("control-plane", { ssm: TERRAFORM_PARAMETERS });
const baseOf = (n: { root: string }) => path.dirname(n.root);
const moved = (calls: readonly string[]) => calls.map((c) => c.split(baseOf(first)).join(baseOf(copy)));

test("the copy has the first boot's result, its paths in the copy's own folder", () => {
  expect(baseOf(copy)).not.toBe(baseOf(first));
  expect(first.calls.some((c) => c.includes(baseOf(first)))).toBe(true);
  expect(copy.calls).toEqual(moved(first.calls));
  expect(copy.calls.some((c) => c.includes(baseOf(first)))).toBe(false);
  expect({ status: copy.status, stderr: copy.stderr }).toEqual({ status: first.status, stderr: first.stderr });
  expect(copy.ssm()).toEqual(first.ssm());
  expect(copy.nodeFile("etc/kubernetes/pki/sa.key")).toBe(first.nodeFile("etc/kubernetes/pki/sa.key"));
});

test("the copy runs on its own: its stub calls and state are its own, the first node's unchanged", () => {
  const before = first.ssm();
  const value = path.join(copy.root, "value");
  fs.writeFileSync(value, "x");
  const put = copy.stub(
    "aws",
    "ssm",
    "put-parameter",
    "--name",
    "/copy/only",
    "--value",
    `file://${value}`,
    "--type",
    "String",
  );
  expect(put.status).toBe(0);
  expect(copy.ssm()).toEqual({ ...before, "/copy/only": "x" });
  expect(first.ssm()).toEqual(before);
  expect(copy.kept("calls.log")!.split("\n").filter(Boolean)).toHaveLength(copy.calls.length + 1);
  expect(first.kept("calls.log")!.split("\n").filter(Boolean)).toHaveLength(first.calls.length);
});

test("other arguments boot a node of their own", () => {
  const worker = node("worker", { ssm: TERRAFORM_PARAMETERS });
  expect(worker.calls.some((c) => c.includes(baseOf(first)))).toBe(false);
  expect(worker.calls).not.toEqual(moved(first.calls));
});
