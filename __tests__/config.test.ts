/** The configuration: defaults, warnings, every problem at once, the file (one value at a time: config-rejected). */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError, loadConfig, resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { stackToJson } from "../src/analysis/tf-json";
import { showValue } from "../src/validation/config-error";

describe("warnings (printed by the synth, not errors)", () => {
  test("default bucket names, which are global", () =>
    expect(resolveConfig({}).warnings).toEqual([
      'state.bucket defaults to "k8s-cluster-tfstate-ap-northeast-2"; bucket names are global, so set your own ' +
        "before the first apply",
      'etcdBackup.bucket defaults to "k8s-cluster-etcd-backup-ap-northeast-2"; bucket names are global, so set ' +
        "your own before the first apply",
      'workloadIdentity.bucket defaults to "k8s-cluster-oidc-ap-northeast-2"; bucket names are global, so set your ' +
        "own before the first apply",
    ]));
  test("no warning for a bucket that is set, or whose feature is off", () =>
    expect(
      resolveConfig({
        state: { bucket: "a-b-c" },
        etcdBackup: { enabled: false },
        workloadIdentity: { enabled: false },
      }).warnings,
    ).toEqual([]));
  test("bootstrapEgress false cannot join as built", () =>
    expect(
      resolveConfig({
        bootstrapEgress: false,
        state: { bucket: "a-b-c" },
        etcdBackup: { bucket: "d-e-f" },
        workloadIdentity: { bucket: "g-h-i" },
      }).warnings,
    ).toEqual([
      "bootstrapEgress is false: nodes download packages, images and the add-ons at boot, so as built they " +
        "cannot join without a pre-baked image and interface endpoints this stack does not create",
    ]));
});

describe("defaults", () => {
  test("no input at all is the spec's cluster", () => {
    const c = resolveConfig({});
    expect(c).toEqual(
      expect.objectContaining({
        clusterName: "k8s-cluster",
        region: "ap-northeast-2",
        azCount: 1,
        availabilityZones: ["ap-northeast-2a"],
      }),
    );
    expect(c.addons).toEqual({ ebsCsi: true, metricsServer: true, clusterAutoscaler: true });
    expect(c.state).toEqual({
      bucket: "k8s-cluster-tfstate-ap-northeast-2",
      key: "k8s-cluster/terraform.tfstate",
      region: "ap-northeast-2",
    });
  });
});

describe("every problem at once: one line each, in the order of the configuration's fields", () => {
  const linesOf = (input: unknown): string[] => {
    try {
      resolveConfig(input);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message.split("\n");
    }
    throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  };
  // One mistake each for zod's schema (controlPlane.count), the checks across fields (a region not
  // in the list) and the network plan (overlapping tiers), written in the file in another order.
  const threeMistakes = {
    controlPlane: { count: 2 },
    network: { subnets: { bastion: "172.31.1.0/24" } },
    region: "xx-north-9",
  };
  const threeLines = [
    expect.stringMatching(/^invalid configuration: region = "xx-north-9": is not a region in the known list/),
    'invalid configuration: network.subnets.bastion = "172.31.1.0/24": overlaps the workers tier (172.31.1.0/24)',
    "invalid configuration: controlPlane.count = 2: must be 1, 3 or 5 (an odd number keeps etcd's quorum)",
  ];

  test("three distinct mistakes are three lines, in the fields' order", () =>
    expect(linesOf(threeMistakes)).toEqual(threeLines));
  test("the order does not depend on the order of the file", () =>
    expect(linesOf(Object.fromEntries(Object.entries(threeMistakes).reverse()))).toEqual(threeLines));
  test("schema problems of several fields, an unknown field last, and a check across fields", () =>
    expect(
      linesOf({
        workers: { min: 6, max: 3, desired: 3 },
        azcount: 2,
        clusterName: "K8s_Cluster",
        tags: { "aws:x": "y" },
      }),
    ).toEqual([
      expect.stringMatching(/^invalid configuration: clusterName = "K8s_Cluster": must be 2-32 lowercase/),
      // workers.desired (3) is not also blamed: its bounds are the problem.
      "invalid configuration: workers.min = 6: is larger than workers.max (3)",
      'invalid configuration: tags.aws:x = "y": uses the aws: prefix, which AWS reserves',
      "invalid configuration: azcount = 2: is not a known field (see the README's configuration table)",
    ]));
  test("every element of a list that is wrong", () =>
    expect(linesOf({ bastion: { adminCidrs: ["203.0.113.0/33", "x"] } })).toEqual([
      'invalid configuration: bastion.adminCidrs.0 = "203.0.113.0/33": is not a valid IPv4 CIDR',
      'invalid configuration: bastion.adminCidrs.1 = "x": is not an IPv4 CIDR like 10.0.0.0/16',
    ]));
  test("every overlap of the network plan", () => {
    const [bastion, loadBalancers] = ["172.31.1.0/24", "172.31.1.0/25"];
    expect(linesOf({ network: { subnets: { bastion, loadBalancers } } })).toEqual([
      `invalid configuration: network.subnets.loadBalancers = "${loadBalancers}": overlaps the workers tier ` +
        `(172.31.1.0/24)`,
      `invalid configuration: network.subnets.bastion = "${bastion}": overlaps the workers tier (172.31.1.0/24)`,
      `invalid configuration: network.subnets.bastion = "${bastion}": overlaps the loadBalancers tier ` +
        `(${loadBalancers})`,
    ]);
  });
  test("the spec's blocks outside a configured VPC are one problem of network.vpcCidr", () =>
    expect(linesOf({ network: { vpcCidr: "10.0.0.0/16" } })).toEqual([
      'invalid configuration: network.vpcCidr = "10.0.0.0/16": ' +
        "172.31.0.0/28 (apiEndpoint), 172.31.1.0/24 (workers), 172.31.2.0/24 (loadBalancers), " +
        "172.31.3.0/24 (bastion), 172.31.32.0/19 (pods) are not inside the VPC 10.0.0.0/16",
    ]));
  test("a check across fields runs only on fields without a problem of their own", () =>
    // Both are the wrong size; that they also overlap is not a third line.
    expect(linesOf({ network: { vpcCidr: "10.0.0.0/8" }, serviceCidr: "10.0.0.0/8" })).toEqual([
      'invalid configuration: network.vpcCidr = "10.0.0.0/8": prefix /8 is outside AWS\'s VPC range /16 to /28',
      expect.stringMatching(/^invalid configuration: serviceCidr = "10\.0\.0\.0\/8": must be a \/12 to \/28/),
    ]));
  test("input that is not an object is one line", () =>
    expect(linesOf(5)).toEqual(["invalid configuration: (root) = 5: Expected object, received number"]));
});

describe("the configuration file itself", () => {
  const folder = () => fs.mkdtempSync(path.join(os.tmpdir(), "config-"));
  const load = (text: string | null, name = "cluster.config.json") => {
    const cwd = folder();
    if (text === null) fs.mkdirSync(path.join(cwd, name));
    else fs.writeFileSync(path.join(cwd, name), text);
    try {
      loadConfig({ CLUSTER_CONFIG: name }, cwd);
    } catch (e) {
      return (e as Error).message;
    }
    return "accepted";
  };
  test("JSON null is not silently the defaults", () =>
    expect(load("null")).toBe(
      "invalid configuration: cluster.config.json: holds null, not an object; write {} (or no file) for the defaults",
    ));
  test("an array is refused", () => expect(load("[]")).toMatch(/holds an array, not an object/));
  test("a byte-order mark is named", () =>
    expect(load('\ufeff{"azCount": 2}')).toBe(
      "invalid configuration: cluster.config.json: starts with a byte-order mark; save it as UTF-8 without one",
    ));
  test("a directory is named", () =>
    expect(load(null, "conf")).toBe("invalid configuration: conf: is a directory, not a configuration file"));
  test("a syntax error says where, in lines and columns", () =>
    expect(load('{\n  "azCount": 2,\n  }\n')).toMatch(
      /^invalid configuration: cluster\.config\.json: is not valid JSON: .* at line 3, column 3$/,
    ));
  // Node's own message, when it names a position (Node 20: V8's "... in JSON at position N"; Node 22 adds
  // " (line L column C)", which is cut with the position).
  test("the parser's message without its position", () =>
    expect(load('{\n  "azCount": 2,\n  }\n')).toBe(
      "invalid configuration: cluster.config.json: is not valid JSON: Expected double-quoted property name " +
        "at line 3, column 3",
    ));
  test("text after the JSON: the parser's other wording, also without its position", () =>
    expect(load("{}x")).toBe(
      "invalid configuration: cluster.config.json: is not valid JSON: Unexpected non-whitespace character after " +
        "JSON at line 1, column 3",
    ));
  test("a syntax error with no position (the text ends early) keeps the parser's message", () =>
    expect(load('{"azCount": ')).toBe(
      "invalid configuration: cluster.config.json: is not valid JSON: Unexpected end of JSON input",
    ));
  test("a number, a string or a boolean is refused by its kind", () => {
    expect(load("42")).toBe(
      "invalid configuration: cluster.config.json: holds a number, not an object; " +
        "write {} (or no file) for the defaults",
    );
    expect(load('"text"')).toMatch(/: holds a string, not an object/);
    expect(load("true")).toMatch(/: holds a boolean, not an object/);
  });
  test("a file CLUSTER_CONFIG names that does not exist", () => {
    expect(() => loadConfig({ CLUSTER_CONFIG: "nowhere.json" }, folder())).toThrow(
      /^invalid configuration: CLUSTER_CONFIG = "nowhere\.json": file does not exist$/,
    );
  });
  test("without CLUSTER_CONFIG: ./cluster.config.json when present, else the defaults", () => {
    const cwd = folder();
    expect(loadConfig({}, cwd).azCount).toBe(1);
    fs.writeFileSync(path.join(cwd, "cluster.config.json"), '{"azCount": 2}');
    expect(loadConfig({}, cwd).azCount).toBe(2);
    fs.writeFileSync(path.join(cwd, "other.json"), '{"azCount": 3}');
    expect(loadConfig({ CLUSTER_CONFIG: "other.json" }, cwd).azCount).toBe(3);
    expect(loadConfig({ CLUSTER_CONFIG: path.join(cwd, "other.json") }, "/").azCount).toBe(3);
  });
  test("a file's problems name the file as given, relative to the working folder", () => {
    const cwd = folder();
    fs.mkdirSync(path.join(cwd, "conf"));
    fs.writeFileSync(path.join(cwd, "conf", "c.json"), "[]");
    expect(() => loadConfig({ CLUSTER_CONFIG: "conf/c.json" }, cwd)).toThrow(
      /^invalid configuration: conf\/c\.json: holds/,
    );
  });
});

describe("allowUnlistedRegion reaches Terraform", () => {
  test("provider and backend skip their region validation only with the escape hatch", () => {
    const input = {
      region: "ap-southeast-6",
      allowUnlistedRegion: true,
      availabilityZones: ["ap-southeast-6a"],
      state: { bucket: "acme-tf" },
      etcdBackup: { bucket: "acme-etcd" },
    };
    const { cluster, stateBucket } = buildApp(resolveConfig(input));
    const c = stackToJson(cluster) as any;
    expect(c.provider.aws[0].skip_region_validation).toBe(true);
    expect(c.terraform.backend.s3.skip_region_validation).toBe(true);
    expect((stackToJson(stateBucket) as any).provider.aws[0].skip_region_validation).toBe(true);
    const plain = stackToJson(buildApp(resolveConfig({})).cluster) as any;
    expect(plain.provider.aws[0].skip_region_validation).toBeUndefined();
    expect(plain.terraform.backend.s3.skip_region_validation).toBeUndefined();
  });
});

describe("one problem's line", () => {
  test("a value: as JSON, cut to 80 characters; none: (missing)", () => {
    expect(showValue(undefined)).toBe("(missing)");
    expect(showValue("x".repeat(78))).toBe(`"${"x".repeat(78)}"`);
    expect(showValue("x".repeat(79))).toBe(`"${"x".repeat(76)}...`);
    expect(new ConfigError("a.b", undefined, "is wrong").message).toBe(
      "invalid configuration: a.b = (missing): is wrong",
    );
  });
  test("the error is a ConfigError by name, with its problems", () => {
    const e = new ConfigError([{ field: "", value: 1, reason: "r" }]);
    expect([e.name, e.message, e.problems]).toEqual([
      "ConfigError",
      "invalid configuration: (root) = 1: r",
      [{ field: "", value: 1, reason: "r" }],
    ]);
  });
});
