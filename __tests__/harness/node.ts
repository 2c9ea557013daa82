/**
 * Runs a node's real user data under bash, without a node: the write_files of the rendered
 * cloud-config are laid out under a scratch root (K8S_ROOT), the runcmd is run with stub
 * commands first on PATH (stubs.sh), and what the stubs saw is handed back for assertions.
 * The cluster around the node (parameters, instances, etcd members) is in cluster.ts.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { sha256 } from "../../src/addons/vendored";
import { BootstrapSettings, NodeRole, clusterBundle, renderUserData } from "../../src/bootstrap";
import { STUBBED_COMMANDS, stubsWithoutPackage } from "./packages";
import { nextCaKey } from "./keys";
import { PROCESS_TIMEOUT_MS } from "./tools";
import { LAUNCH_HOOK_TIMEOUT_SECONDS, LIFECYCLE_HOOKS, TERMINATE_HOOK_TIMEOUT_SECONDS } from "../../src/aws/lifecycle";
import {
  API_TARGET_GROUP_ARN,
  ASSETS_BUCKET,
  Ec2Instance,
  EtcdMember,
  GROUP_OF,
  INSTANCE_ID,
  Identity,
  NODE_IP,
  NODE_NAME,
  ScalingActivity,
  credentialProviderBytes,
  settingsFor,
} from "./cluster";

export * from "./cluster";

/**
 * Every file a node of the role receives: its user data's write_files and, for control-plane roles,
 * the bundle's node files.
 */
export function deliveredFiles(
  role: NodeRole,
  settings: Partial<BootstrapSettings> = {},
): { path: string; permissions: string; content: string; delivery: string }[] {
  const full = settingsFor(role, settings);
  const doc = parse(renderUserData(full).cloudConfig) as {
    write_files: { path: string; permissions: string; content: string }[];
  };
  const fromUserData = doc.write_files.map((f) => ({ ...f, delivery: "user data" }));
  if (role === "worker") return fromUserData;
  const bundle = clusterBundle(full);
  const install = bundle.files
    .find((f) => f.path === "node/INSTALL")!
    .text.trim()
    .split("\n");
  const fromBundle = install.map((line) => {
    const [permissions, p] = line.split(" ");
    return { path: p, permissions, content: bundle.files.find((f) => f.path === `node${p}`)!.text, delivery: "bundle" };
  });
  return [...fromUserData, ...fromBundle];
}

export interface Behaviour {
  /**
   * The kubeadm configuration the cluster was initialised with (what kubeadm join gives a joining
   * control-plane node's API server); default: this node's own init template.
   */
  readonly clusterKubeadmConfig?: string;
  /** The cluster's CA (PEM), when a test needs its hash; default: one the kubeadm stub makes. */
  readonly clusterCa?: { readonly crt: string; readonly key: string };
  /** SSM parameters present from the start. */
  readonly ssm?: Readonly<Record<string, string>>;
  /** SSM parameters that appear after the given number of reads of each. */
  readonly ssmLater?: Readonly<Record<string, { readonly value: string; readonly afterReads: number }>>;
  /** Lookups of the API name that fail before one succeeds, or "always". */
  readonly dnsFailures?: number | "always";
  /**
   * The instance as IMDS and ec2 describe-instance-types report it (default t3.large: 3 ENIs,
   * 12 IPv4 addresses each); `output`, when set, replaces describe-instance-types' text output.
   */
  readonly instance?: {
    readonly type: string;
    readonly maxEnis: number;
    readonly ipsPerEni: number;
    readonly output?: string;
  };
  /** IMDS's instance-life-cycle: how the instance was bought (default on-demand). */
  readonly lifecycle?: "spot" | "on-demand";
  /** Architecture of the node (dpkg --print-architecture), default amd64. */
  readonly arch?: string;
  /** The containerd build apt installs from the pinned series. */
  readonly containerd?: string;
  /** Bytes artifacts.k8s.io serves for the credential provider instead of the genuine ones. */
  readonly credentialProvider?: string;
  /** Bundle files in S3 replaced (path -> text) or removed (path -> null) after Terraform uploaded them. */
  readonly s3Tamper?: Readonly<Record<string, string | null>>;
  /**
   * What the node's API server serves (kubectl get --raw): path -> body, e.g. the service-account
   * issuer's /.well-known/openid-configuration and /openid/v1/jwks.
   */
  readonly apiServer?: Readonly<Record<string, string>>;
  /** Whether Terraform's bundle is in S3 at all (default true). */
  readonly bundleUploaded?: boolean;
  /** Calls ("name arg-prefix") that fail. */
  readonly fail?: readonly string[];
  /** The instance the node runs on (default INSTANCE_ID, NODE_NAME, NODE_IP); kept by execWith. */
  readonly identity?: Identity;
  /**
   * The instance's auto scaling group and lifecycle state (default: the role's group, Pending:Wait,
   * as a launch lifecycle hook holds a new instance); null: in no group.
   */
  readonly asg?: { readonly group: string; readonly state: string } | null;
  /** Other EC2 instances (this node's own is always there, running). */
  readonly instances?: readonly Ec2Instance[];
  /** etcd's members before this node boots (kubeadm init replaces them, kubeadm join adds this node's). */
  readonly etcdMembers?: readonly EtcdMember[];
  /** Reads of this Node's Ready condition that are False before it is True (default 0). */
  readonly nodeReadyAfter?: number;
  /** Reads of autoscaling/target-lifecycle-state before the group terminates the instance (default never). */
  readonly terminateAfterPolls?: number;
  /**
   * Whether the group's lifecycle hooks time out (their heartbeat timeouts, src/aws/lifecycle.ts).
   * Off by default: on a node, k8s-boot-watch keeps the launch hook alive while runcmd runs, and the
   * harness runs runcmd without it.
   */
  readonly hookTimeouts?: boolean;
  /**
   * How many lines of runcmd the first boot runs (default all): 0 for an instance whose k8s-bootstrap
   * is still running, 1 for one whose k8s-lifecycle after-boot has not run.
   */
  readonly runcmd?: number;
  /** The group's scaling activities: how long ago each started, its Cause and StatusMessage. */
  readonly scalingActivities?: readonly ScalingActivity[];
  /** The etcd static pod as crictl sees it (default: running, etcd 3.6.4 image without etcdutl, good snapshots). */
  readonly etcd?: {
    readonly running?: boolean;
    /** Version of etcdctl (and etcdutl) in the image. */
    readonly version?: string;
    /** Whether the image has etcdutl (kubeadm's registry.k8s.io/etcd images have not). */
    readonly etcdutl?: boolean;
    /** "corrupt": the SHA-256 at the end does not match; "empty": etcdctl writes nothing. */
    readonly snapshot?: "good" | "corrupt" | "empty";
  };
}

export interface RunResult {
  readonly status: number | null;
  readonly stderr: string;
  readonly stdout: string;
  /** The stubbed calls of this run, "name arg arg ...", in order. */
  readonly calls: readonly string[];
  /** The same calls, per command run (runcmd: k8s-bootstrap's, then k8s-lifecycle's). */
  readonly byCommand: readonly (readonly string[])[];
  /** Index of the first call of this run starting with prefix, -1 when none. */
  indexOf(prefix: string): number;
  /** Calls of this run starting with prefix. */
  callsOf(prefix: string): readonly string[];
}

export interface NodeRun extends RunResult {
  readonly root: string;
  readonly state: string;
  /** SSM parameters now, and their types. */
  ssm(): Record<string, string>;
  ssmType(name: string): string | undefined;
  /** A file the stubs kept (e.g. "kubeadm-init.yaml"), or undefined. */
  kept(name: string): string | undefined;
  /** A file under the node's root, or undefined. */
  nodeFile(p: string): string | undefined;
  /** Runs the user data's runcmd again on the same node. */
  again(): RunResult;
  /** Runs one installed script (node path) with arguments on the same node. */
  exec(program: string, ...args: string[]): RunResult;
  /** As exec, with other stub behaviour for this run. */
  execWith(behaviour: Behaviour, program: string, ...args: string[]): RunResult;
  /**
   * What changed in the cluster since this node booted: the other EC2 instances (this node's own
   * stays, running) and etcd's members, as the Behaviour fields of those names.
   */
  change(cluster: Pick<Behaviour, "instances" | "etcdMembers">): void;
  /** Seconds since the node booted (its /proc/uptime, which the stub sleep advances). */
  uptime(): number;
  setUptime(seconds: number): void;
  /** Runs one stubbed command (e.g. "aws") directly, on this node's stub state. */
  stub(command: string, ...args: string[]): { status: number | null; stdout: string; stderr: string };
  cleanup(): void;
}

/** The stub (linked under every stubbed command's name) and the files it sources, beside it. */
export const STUB_SCRIPTS = [
  "stubs.sh",
  "stubs-lifecycle.sh",
  "stubs-maintenance.sh",
  "stubs-kubernetes.sh",
  "stubs-discovery.sh",
];
const enc = (name: string) => name.replace(/\//g, "%2F");
const dec = (file: string) => file.replace(/%2F/g, "/");

function result(
  status: number | null,
  stdout: string,
  stderr: string,
  calls: string[],
  byCommand: string[][],
): RunResult {
  return {
    status,
    stdout,
    stderr,
    calls,
    byCommand,
    indexOf: (prefix) => calls.findIndex((c) => c.startsWith(prefix)),
    callsOf: (prefix) => calls.filter((c) => c.startsWith(prefix)),
  };
}

export function runNode(role: NodeRole, behaviour: Behaviour = {}, settings: Partial<BootstrapSettings> = {}): NodeRun {
  const missing = stubsWithoutPackage();
  if (missing.length) throw new Error(`harness: stubbed commands no package provides on a node: ${missing.join(", ")}`);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `k8s-node-${role}-`));
  const root = path.join(base, "root");
  const bin = path.join(base, "bin");
  const state = path.join(base, "state");
  const tmp = path.join(base, "tmp");
  for (const d of [root, bin, tmp, path.join(state, "ssm"), path.join(state, "ssm-later")])
    fs.mkdirSync(d, { recursive: true });

  const doc = parse(renderUserData(settingsFor(role, settings)).cloudConfig) as {
    write_files: { path: string; permissions: string; content: string }[];
    runcmd: string[][];
  };
  for (const f of doc.write_files) {
    const target = path.join(root, f.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.content, { mode: parseInt(f.permissions, 8) });
  }
  for (const [p, body] of Object.entries(behaviour.apiServer ?? {})) {
    fs.mkdirSync(path.dirname(path.join(state, "apiserver", p)), { recursive: true });
    fs.writeFileSync(path.join(state, "apiserver", p), body);
  }
  // The genuine binary's SHA-256 cannot be matched by stub bytes: the env file gets the digest of
  // what the stub serves (the pinned digests themselves are checked by bootstrap-userdata.test.ts).
  const envPath = path.join(root, "etc/k8s-bootstrap/env");
  fs.writeFileSync(
    envPath,
    fs
      .readFileSync(envPath, "utf8")
      .replace(
        /^ECR_CREDENTIAL_PROVIDER_(AMD64|ARM64)_SHA256=.*$/gm,
        (_m, arch: string) =>
          `ECR_CREDENTIAL_PROVIDER_${arch}_SHA256=${sha256(credentialProviderBytes(arch.toLowerCase()))}`,
      ),
  );
  // The cluster bundle as Terraform uploads it: s3://<assets bucket>/addons/<digest>/<file>.
  const full = settingsFor(role, settings);
  const bundle = clusterBundle(full);
  const s3 = path.join(state, "s3", ASSETS_BUCKET);
  fs.mkdirSync(s3, { recursive: true });
  if (behaviour.bundleUploaded !== false) {
    const prefix = path.join(s3, "addons", bundle.digest);
    const objects: Record<string, string | null> = {
      ...Object.fromEntries(bundle.files.map((f) => [f.path, f.text])),
      SHA256SUMS: bundle.sums,
      ...behaviour.s3Tamper,
    };
    for (const [p, text] of Object.entries(objects)) {
      if (text === null) continue;
      fs.mkdirSync(path.dirname(path.join(prefix, p)), { recursive: true });
      fs.writeFileSync(path.join(prefix, p), text);
    }
  }
  fs.mkdirSync(path.join(root, "etc/apt/sources.list.d"), { recursive: true });
  // The kernel's uptime: cloud-init's runcmd starts about half a minute after boot.
  const uptimeFile = path.join(root, "proc/uptime");
  const setUptime = (seconds: number) => fs.writeFileSync(uptimeFile, `${seconds}.00 ${2 * seconds}.00\n`);
  fs.mkdirSync(path.dirname(uptimeFile));
  setUptime(30);
  // The serial console (on EC2, what get-console-output returns), as a file.
  fs.mkdirSync(path.join(root, "dev"));
  fs.writeFileSync(
    path.join(root, "etc/fstab"),
    "LABEL=cloudimg-rootfs / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n",
  );

  const [stub, ...sourced] = STUB_SCRIPTS;
  fs.copyFileSync(path.join(__dirname, stub), path.join(bin, "stub"));
  for (const f of sourced) fs.copyFileSync(path.join(__dirname, f), path.join(bin, f));
  fs.chmodSync(path.join(bin, "stub"), 0o755);
  for (const c of Object.keys(STUBBED_COMMANDS)) fs.symlinkSync("stub", path.join(bin, c));

  for (const [k, v] of Object.entries(behaviour.ssm ?? {})) fs.writeFileSync(path.join(state, "ssm", enc(k)), v);
  if (behaviour.clusterKubeadmConfig)
    fs.writeFileSync(path.join(state, "kubeadm-init.yaml"), behaviour.clusterKubeadmConfig);
  if (behaviour.clusterCa) {
    fs.mkdirSync(path.join(state, "cluster-ca"));
    fs.writeFileSync(path.join(state, "cluster-ca", "ca.crt"), behaviour.clusterCa.crt);
    fs.writeFileSync(path.join(state, "cluster-ca", "ca.key"), behaviour.clusterCa.key);
  } else fs.writeFileSync(path.join(state, "ca-key.pem"), nextCaKey(), { mode: 0o600 });
  const self = behaviour.identity ?? { instanceId: INSTANCE_ID, name: NODE_NAME, ip: NODE_IP };
  for (const d of ["ec2", "asg", "etcd"]) fs.mkdirSync(path.join(state, d));
  const writeInstances = (others: readonly Ec2Instance[]) => {
    // This node's own instance is running, unless the test says otherwise.
    const own = others.some((i) => i.id === self.instanceId)
      ? []
      : [{ id: self.instanceId, name: self.name, state: "running" }];
    const lines = [...own, ...others].map((i) => `${i.id} ${i.name} ${i.state}\n`);
    fs.writeFileSync(path.join(state, "ec2/instances"), lines.join(""));
  };
  const writeMembers = (members: readonly EtcdMember[]) =>
    fs.writeFileSync(
      path.join(state, "etcd/members"),
      members
        .map(
          (m) => `${m.id}|${m.name}|https://${m.ip}:2380|${m.name ? `https://${m.ip}:2379` : ""}|${m.instance ?? ""}\n`,
        )
        .join(""),
    );
  writeInstances(behaviour.instances ?? []);
  const asg = behaviour.asg === undefined ? { group: GROUP_OF[role], state: "Pending:Wait" } : behaviour.asg;
  if (asg) fs.writeFileSync(path.join(state, "asg/instance"), `${asg.group} ${asg.state}\n`);
  // The launch hook's wait started with the launch, at uptime 0.
  for (const f of ["asg/since", "asg/entered"]) fs.writeFileSync(path.join(state, f), "0\n");
  const activities = (behaviour.scalingActivities ?? []).map(
    (a) => `${a.minutesAgo}\t${a.cause}\t${a.statusMessage ?? "None"}\n`,
  );
  fs.writeFileSync(path.join(state, "asg/activities"), activities.join(""));
  if (behaviour.etcdMembers) writeMembers(behaviour.etcdMembers);
  for (const [k, v] of Object.entries(behaviour.ssmLater ?? {})) {
    fs.writeFileSync(path.join(state, "ssm-later", enc(k)), v.value);
    fs.writeFileSync(path.join(state, "ssm-later", `${enc(k)}.reads`), String(v.afterReads));
  }
  const log = path.join(state, "calls.log");
  fs.writeFileSync(log, "");

  const envFor = (b: Behaviour): NodeJS.ProcessEnv => ({
    PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`,
    HOME: base,
    TMPDIR: tmp,
    LANG: "C.UTF-8",
    K8S_ROOT: root,
    HARNESS_STATE: state,
    STUB_DNS_FAILURES: String(b.dnsFailures ?? 0),
    STUB_INSTANCE_TYPE: b.instance?.type ?? "t3.large",
    STUB_ENI_LIMITS: b.instance ? (b.instance.output ?? `${b.instance.maxEnis}\t${b.instance.ipsPerEni}`) : "3\t12",
    STUB_FAIL: (b.fail ?? []).join("\n"),
    STUB_ETCD_RUNNING: b.etcd?.running === false ? "0" : "1",
    STUB_ETCD_VERSION: b.etcd?.version ?? "3.6.4",
    STUB_ETCDUTL: b.etcd?.etcdutl ? "1" : "0",
    STUB_SNAPSHOT: b.etcd?.snapshot ?? "good",
    STUB_ARCH: b.arch ?? "amd64",
    STUB_LIFECYCLE: b.lifecycle ?? "on-demand",
    STUB_TARGET_GROUP_ARN: API_TARGET_GROUP_ARN,
    STUB_INSTANCE_ID: self.instanceId,
    STUB_NODE_NAME: self.name,
    STUB_NODE_IP: self.ip,
    STUB_LAUNCH_HOOK: LIFECYCLE_HOOKS.launch,
    STUB_TERMINATE_HOOK: LIFECYCLE_HOOKS.terminate,
    STUB_NODE_READY_AFTER: String(b.nodeReadyAfter ?? 0),
    ...(b.terminateAfterPolls !== undefined ? { STUB_TERMINATE_AFTER: String(b.terminateAfterPolls) } : {}),
    ...(b.hookTimeouts
      ? { STUB_HOOK_TIMEOUTS: `${LAUNCH_HOOK_TIMEOUT_SECONDS} ${TERMINATE_HOOK_TIMEOUT_SECONDS}` }
      : {}),
    ...(b.containerd ? { STUB_CONTAINERD: b.containerd } : {}),
    ...(b.credentialProvider ? { STUB_CREDENTIAL_PROVIDER: b.credentialProvider } : {}),
  });

  // What the stub could not run (its command_not_found_handle): the test fails, whatever the script made of it.
  const harnessErrors = () => {
    const file = path.join(state, "stub-errors");
    if (fs.existsSync(file)) throw new Error(`harness: ${fs.readFileSync(file, "utf8").trim().split("\n").join("; ")}`);
  };
  const readCalls = () => fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
  // cloud-init appends what runcmd prints to this log (its output setting on Ubuntu's images).
  const bootLog = path.join(root, "var/log/cloud-init-output.log");
  const runAll = (commands: string[][], env = envFor(behaviour), logged = false): RunResult => {
    const before = readCalls().length;
    let status: number | null = 0;
    let stdout = "";
    let stderr = "";
    const byCommand: string[][] = [];
    for (const [program, ...args] of commands) {
      const start = readCalls().length;
      // Absolute node paths run from the scratch root, through bash as cloud-init's shell would.
      const r = spawnSync("bash", [path.join(root, program), ...args], {
        env,
        encoding: "utf8",
        timeout: PROCESS_TIMEOUT_MS,
      });
      stdout += r.stdout;
      stderr += r.stderr + (r.error ? `harness: ${program} did not finish: ${r.error.message}\n` : "");
      status = r.error ? -1 : r.status;
      if (logged) {
        fs.mkdirSync(path.dirname(bootLog), { recursive: true });
        fs.appendFileSync(bootLog, `${r.stdout}${r.stderr}`);
      }
      byCommand.push(readCalls().slice(start));
      harnessErrors();
    }
    return result(status, stdout, stderr, readCalls().slice(before), byCommand);
  };

  let first: RunResult;
  try {
    first = runAll(doc.runcmd.slice(0, behaviour.runcmd ?? doc.runcmd.length), envFor(behaviour), true);
  } catch (e) {
    // A harness error in the boot: the test fails, and no caller gets the node to remove.
    fs.rmSync(base, { recursive: true, force: true });
    throw e;
  }
  const read = (p: string) => (fs.existsSync(p) ? fs.readFileSync(p, "utf8") : undefined);
  return {
    ...first,
    root,
    state,
    ssm() {
      const dir = path.join(state, "ssm");
      return Object.fromEntries(
        fs
          .readdirSync(dir)
          .filter((f) => !f.endsWith(".type"))
          .map((f) => [dec(f), fs.readFileSync(path.join(dir, f), "utf8")]),
      );
    },
    ssmType: (name) => read(path.join(state, "ssm", `${enc(name)}.type`))?.trim(),
    kept: (name) => read(path.join(state, name)),
    nodeFile: (p) => read(path.join(root, p)),
    again: () => runAll(doc.runcmd, envFor(behaviour), true),
    exec: (program, ...args) => runAll([[program, ...args]]),
    execWith: (b, program, ...args) => runAll([[program, ...args]], envFor(b)),
    change(cluster) {
      if (cluster.instances) writeInstances(cluster.instances);
      if (cluster.etcdMembers) writeMembers(cluster.etcdMembers);
    },
    uptime: () => Number(fs.readFileSync(uptimeFile, "utf8").split(".")[0]),
    setUptime,
    stub: (command, ...args) => {
      if (!(command in STUBBED_COMMANDS)) throw new Error(`harness: ${command} is not a stubbed command`);
      const r = spawnSync(path.join(bin, command), args, {
        env: envFor(behaviour),
        encoding: "utf8",
        timeout: PROCESS_TIMEOUT_MS,
      });
      harnessErrors();
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    cleanup: () => fs.rmSync(base, { recursive: true, force: true }),
  };
}
