/** The README's synth command as a user runs it: exit codes, messages, and what lands in cdktf.out. */
import * as fs from "fs";
import * as path from "path";
import { runSynth } from "./helpers/run";

test("the default cluster synthesizes both stacks with no configuration", () => {
  const r = runSynth();
  // The spec's bastion ingress 0.0.0.0/0 is built, with a warning recommending a narrower list.
  expect(r.stderr.trimEnd().split("\n")).toEqual([
    'warning: state.bucket defaults to "k8s-cluster-tfstate-ap-northeast-2"; bucket names are global, so set your own before the first apply',
    'warning: etcdBackup.bucket defaults to "k8s-cluster-etcd-backup-ap-northeast-2"; bucket names are global, so set your own before the first apply',
    expect.stringMatching(/^warning: cluster\/security-groups\/bastion: bastion\.adminCidrs allows SSH to the bastion from 0\.0\.0\.0\/0/),
  ]);
  expect(r.status).toBe(0);
  for (const stack of ["cluster", "state-bucket"]) expect(fs.existsSync(path.join(r.cwd, "cdktf.out/stacks", stack, "cdk.tf.json"))).toBe(true);
  expect(fs.readFileSync(path.join(r.cwd, "cdktf.out/stacks/cluster/spec-trace.md"), "utf8")).toMatch(/^# Spec trace/);
});

test("cluster.config.json in the working folder is read", () => {
  const r = runSynth({ azCount: 2, bastion: { adminCidrs: ["203.0.113.0/24"] }, state: { bucket: "acme-k8s-tfstate" }, etcdBackup: { bucket: "acme-k8s-etcd" } });
  expect(r.status).toBe(0);
  expect(r.stderr).toBe(""); // no warning once the admin CIDRs are narrowed and the bucket names chosen
  const tf = JSON.parse(fs.readFileSync(path.join(r.cwd, "cdktf.out/stacks/cluster/cdk.tf.json"), "utf8"));
  expect(Object.keys(tf.resource.aws_subnet)).toHaveLength(10);
});

const bad: [string, unknown, string][] = [
  ["bad CIDR", { network: { subnets: { workers: "172.31.1.0/33" } } }, 'invalid configuration: network.subnets.workers = "172.31.1.0/33": is not a valid IPv4 CIDR'],
  ["azCount out of range", { azCount: 7 }, "invalid configuration: azCount = 7: must be 1, 2 or 3"],
  ["not JSON", "{ azCount: 2", "invalid configuration: cluster.config.json: is not valid JSON"],
];

describe.each(bad)("%s: one line, exit 1, nothing written", (_what, config, line) => {
  const r = runSynth(config);
  test("exit code 1", () => expect(r.status).toBe(1));
  test("exactly one line on stderr, naming the field and value", () => {
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0].startsWith(line)).toBe(true);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
  test("no cdktf.out", () => expect(fs.existsSync(path.join(r.cwd, "cdktf.out"))).toBe(false));
});

test("CLUSTER_CONFIG naming a missing file is an error", () => {
  const r = runSynth(undefined, { CLUSTER_CONFIG: "nope.json" });
  expect(r.status).toBe(1);
  expect(r.stderr.trim()).toBe('invalid configuration: CLUSTER_CONFIG = "nope.json": file does not exist');
});
