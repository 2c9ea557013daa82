/** The README's synth command as a user runs it: exit codes, messages, and what lands in cdktf.out. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runSynth } from "../helpers/run";

test("the default cluster synthesizes both stacks with no configuration", () => {
  const r = runSynth();
  // The spec's bastion ingress 0.0.0.0/0 is built, with a warning recommending a narrower list.
  expect(r.stderr.trimEnd().split("\n")).toEqual([
    'warning: state.bucket defaults to "k8s-cluster-tfstate-ap-northeast-2"; ' +
      "bucket names are global, so set your own before the first apply",
    'warning: etcdBackup.bucket defaults to "k8s-cluster-etcd-backup-ap-northeast-2"; ' +
      "bucket names are global, so set your own before the first apply",
    'warning: workloadIdentity.bucket defaults to "k8s-cluster-oidc-ap-northeast-2"; ' +
      "bucket names are global, so set your own before the first apply",
    expect.stringMatching(
      /^warning: cluster\/security-groups\/bastion: bastion\.adminCidrs allows SSH to the bastion from 0\.0\.0\.0\/0/,
    ),
  ]);
  expect(r.status).toBe(0);
  for (const stack of ["cluster", "state-bucket"])
    expect(fs.existsSync(path.join(r.cwd, "cdktf.out/stacks", stack, "cdk.tf.json"))).toBe(true);
  expect(fs.readFileSync(path.join(r.cwd, "cdktf.out/stacks/cluster/spec-trace.md"), "utf8")).toMatch(/^# Spec trace/);
  // The boot listings, with the static node files read from src/bootstrap/files/ by the bundled app.
  const worker = fs.readFileSync(path.join(r.cwd, "cdktf.out/stacks/cluster/boot-worker.md"), "utf8");
  expect(worker).toMatch(/^# What a worker node receives at boot\n/);
  const modules = "/etc/modules-load.d/k8s.conf";
  expect(worker).toContain(`| \`${modules}\` | 0644 | user data | \`src/bootstrap/files${modules}\` |\n`);
});

test("cluster.config.json in the working folder is read", () => {
  const r = runSynth({
    azCount: 2,
    bastion: { adminCidrs: ["203.0.113.0/24"] },
    state: { bucket: "acme-k8s-tfstate" },
    etcdBackup: { bucket: "acme-k8s-etcd" },
    workloadIdentity: { bucket: "acme-k8s-oidc" },
  });
  expect(r.status).toBe(0);
  expect(r.stderr).toBe(""); // no warning once the admin CIDRs are narrowed and the bucket names chosen
  const tf = JSON.parse(fs.readFileSync(path.join(r.cwd, "cdktf.out/stacks/cluster/cdk.tf.json"), "utf8"));
  expect(Object.keys(tf.resource.aws_subnet)).toHaveLength(10);
});

const bad: [string, unknown, string][] = [
  [
    "bad CIDR",
    { network: { subnets: { workers: "172.31.1.0/33" } } },
    'invalid configuration: network.subnets.workers = "172.31.1.0/33": is not a valid IPv4 CIDR',
  ],
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

describe("three mistakes in one file: three lines, exit 1, nothing written", () => {
  // In the file's order: controlPlane.count, network.subnets.bastion, region; printed in the fields' order.
  const r = runSynth({
    controlPlane: { count: 2 },
    network: { subnets: { bastion: "172.31.1.0/24" } },
    region: "xx-north-9",
  });
  test("exit code 1, no stack trace, nothing on stdout", () => {
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
  test("one line per mistake, each naming the field, the value and what to do", () =>
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      expect.stringMatching(
        /^invalid configuration: region = "xx-north-9": is not a region in the known list .*allowUnlistedRegion/,
      ),
      'invalid configuration: network.subnets.bastion = "172.31.1.0/24": overlaps the workers tier (172.31.1.0/24)',
      "invalid configuration: controlPlane.count = 2: must be 1, 3 or 5 (an odd number keeps etcd's quorum)",
    ]));
  test("no cdktf.out", () => expect(fs.existsSync(path.join(r.cwd, "cdktf.out"))).toBe(false));
});

test("CLUSTER_CONFIG naming a missing file is an error", () => {
  const r = runSynth(undefined, { CLUSTER_CONFIG: "nope.json" });
  expect(r.status).toBe(1);
  expect(r.stderr.trim()).toBe('invalid configuration: CLUSTER_CONFIG = "nope.json": file does not exist');
});

describe("what lands in the output folder", () => {
  const HCL = { SYNTH_HCL_OUTPUT: "true", CDKTF_OUTDIR: "cdktf.out/hcl" };
  const list = (dir: string): string[] =>
    fs.existsSync(dir)
      ? fs
          .readdirSync(dir, { withFileTypes: true })
          .flatMap((e) => (e.isDirectory() ? list(path.join(dir, e.name)).map((p) => `${e.name}/${p}`) : [e.name]))
          .sort()
      : [];
  const quiet = {
    bastion: { adminCidrs: ["203.0.113.0/24"] },
    state: { bucket: "acme-k8s-tfstate" },
    etcdBackup: { bucket: "acme-k8s-etcd" },
    workloadIdentity: { bucket: "acme-k8s-oidc" },
  };

  test("npm run synth:hcl works in a fresh clone (no cdktf.out yet) and says what it wrote, one line per stack", () => {
    const r = runSynth(quiet, HCL);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(r.stdout).toBe(
      "wrote cdktf.out/hcl/stacks/cluster: boot-control-plane.md, boot-worker.md, " +
        "cdk.tf, metadata.json, spec-trace.md\nwrote cdktf.out/hcl/stacks/state-bucket: cdk.tf, metadata.json\n",
    );
    expect(list(path.join(r.cwd, "cdktf.out"))).toEqual([
      "hcl/manifest.json",
      "hcl/stacks/cluster/boot-control-plane.md",
      "hcl/stacks/cluster/boot-worker.md",
      "hcl/stacks/cluster/cdk.tf",
      "hcl/stacks/cluster/metadata.json",
      "hcl/stacks/cluster/spec-trace.md",
      "hcl/stacks/state-bucket/cdk.tf",
      "hcl/stacks/state-bucket/metadata.json",
    ]);
  });

  test("synth's own files are replaced whole: the other format's file an earlier run left there is gone", () => {
    const r = runSynth(quiet);
    fs.writeFileSync(path.join(r.cwd, "cdktf.out/stacks/cluster/cdk.tf"), "# stale HCL of an earlier run\n");
    const again = runSynth(quiet, {}, r.cwd);
    expect(again.status).toBe(0);
    expect(list(path.join(r.cwd, "cdktf.out/stacks/cluster"))).toEqual([
      "boot-control-plane.md",
      "boot-worker.md",
      "cdk.tf.json",
      "spec-trace.md",
    ]);
  });

  test("HCL of another configuration is removed when the JSON is made again; of the same one it stays", () => {
    const r = runSynth(quiet, HCL);
    expect(runSynth(quiet, {}, r.cwd).stdout).not.toContain("removed");
    expect(fs.existsSync(path.join(r.cwd, "cdktf.out/hcl/stacks/cluster/cdk.tf"))).toBe(true);
    const other = runSynth({ ...quiet, clusterName: "prod-eu" }, {}, r.cwd);
    expect(other.stdout.trimEnd().split("\n").pop()).toBe(
      "removed cdktf.out/hcl/stacks/{cluster,state-bucket}: made from another configuration",
    );
    expect(list(path.join(r.cwd, "cdktf.out/hcl"))).toEqual(["manifest.json"]);
  });

  test("same configuration, other code version: the HCL is removed too; manifest.json records both digests", () => {
    const r = runSynth(quiet, HCL);
    const manifestFile = path.join(r.cwd, "cdktf.out/hcl/manifest.json");
    const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
    expect(manifest.configurationSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.stacksSha256).toMatch(/^[0-9a-f]{64}$/);
    // The JSON synth of the same configuration and code records the same digests as the HCL synth.
    const json = runSynth(quiet, {}, r.cwd);
    expect(json.stdout).not.toContain("removed");
    const jsonManifest = JSON.parse(fs.readFileSync(path.join(r.cwd, "cdktf.out/manifest.json"), "utf8"));
    expect([jsonManifest.configurationSha256, jsonManifest.stacksSha256]).toEqual([
      manifest.configurationSha256,
      manifest.stacksSha256,
    ]);
    // As an earlier version of this code wrote it: the configuration's digest only.
    const { stacksSha256: _notRecorded, ...legacy } = manifest;
    fs.writeFileSync(manifestFile, JSON.stringify(legacy));
    const again = runSynth(quiet, {}, r.cwd);
    expect(again.stdout.trimEnd().split("\n").pop()).toBe(
      "removed cdktf.out/hcl/stacks/{cluster,state-bucket}: made by another version of this code",
    );
    // And stacks this code would write differently (same configuration, other digest).
    const hclAgain = runSynth(quiet, HCL, r.cwd);
    fs.writeFileSync(
      path.join(r.cwd, "cdktf.out/manifest.json"),
      JSON.stringify({
        ...JSON.parse(fs.readFileSync(path.join(r.cwd, "cdktf.out/manifest.json"), "utf8")),
        stacksSha256: "0".repeat(64),
      }),
    );
    expect(hclAgain.status).toBe(0);
    const json2 = runSynth(quiet, HCL, r.cwd);
    expect(json2.stdout.trimEnd().split("\n").pop()).toBe(
      "removed cdktf.out/stacks/{cluster,state-bucket}: made by another version of this code",
    );
  });

  test("a failed synth leaves no earlier stacks behind to be handed off, and no empty folders", () => {
    const r = runSynth(quiet);
    expect(fs.existsSync(path.join(r.cwd, "cdktf.out/stacks/cluster/cdk.tf.json"))).toBe(true);
    const failed = runSynth({ azCount: 7 }, {}, r.cwd);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toBe("");
    expect(fs.existsSync(path.join(r.cwd, "cdktf.out"))).toBe(false);
  });

  // Terraform's own files: the state bucket's local state, .terraform, the lock file, a saved plan.
  test("Terraform's own files in a stack folder survive a good and a failed synth", () => {
    const r = runSynth(quiet);
    const stack = path.join(r.cwd, "cdktf.out/stacks/state-bucket");
    const own = [
      "terraform.tfstate",
      "terraform.tfstate.backup",
      ".terraform.lock.hcl",
      "plan",
      ".terraform/providers/marker",
    ];
    for (const f of own) {
      fs.mkdirSync(path.dirname(path.join(stack, f)), { recursive: true });
      fs.writeFileSync(path.join(stack, f), `kept ${f}\n`);
    }
    expect(runSynth(quiet, {}, r.cwd).status).toBe(0);
    for (const f of own) expect(fs.readFileSync(path.join(stack, f), "utf8")).toBe(`kept ${f}\n`);
    const failed = runSynth({ azCount: 9 }, {}, r.cwd);
    expect(failed.status).toBe(1);
    for (const f of own) expect(fs.readFileSync(path.join(stack, f), "utf8")).toBe(`kept ${f}\n`);
    // The generated files are gone, so no earlier result is handed off by mistake.
    expect(fs.existsSync(path.join(stack, "cdk.tf.json"))).toBe(false);
    expect(fs.existsSync(path.join(r.cwd, "cdktf.out/stacks/cluster"))).toBe(false);
  });

  test("a folder synth did not write is never treated as the other format's output", () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "synth-"));
    fs.mkdirSync(path.join(cwd, "out/stacks/cluster"), { recursive: true });
    fs.writeFileSync(path.join(cwd, "out/stacks/cluster/cdk.tf.json"), "{}\n");
    const r = runSynth(quiet, { SYNTH_HCL_OUTPUT: "true", CDKTF_OUTDIR: "out/hcl" }, cwd);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain("removed");
    expect(fs.readFileSync(path.join(cwd, "out/stacks/cluster/cdk.tf.json"), "utf8")).toBe("{}\n");
  });

  test("a failed synth into a symlinked output folder still reports the configuration error, exit 1", () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "synth-"));
    const real = fs.mkdtempSync(path.join(os.tmpdir(), "synth-real-"));
    fs.symlinkSync(real, path.join(cwd, "cdktf.out"));
    const r = runSynth({ azCount: 9 }, {}, cwd);
    expect({ status: r.status, stderr: r.stderr.trim() }).toEqual({
      status: 1,
      stderr: "invalid configuration: azCount = 9: must be 1, 2 or 3",
    });
  });

  test("manifest.json holds no path of the machine that synthesized it", () => {
    const r = runSynth();
    const manifest = fs.readFileSync(path.join(r.cwd, "cdktf.out/manifest.json"), "utf8");
    expect(manifest).not.toContain(r.cwd);
    expect(manifest).not.toMatch(/"\/|node_modules|dist\/main\.js/);
    expect(JSON.parse(manifest).stacks.cluster.annotations[0].message).toMatch(/bastion\.adminCidrs allows SSH/);
  });
});
