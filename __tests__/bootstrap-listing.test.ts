/**
 * The boot listing synth writes per node role (cdktf.out/stacks/cluster/boot-<role>.md): exactly the
 * files the node receives, read back from what synth really wrote (the user data decoded from the
 * stack, the bundle's node/INSTALL as Terraform uploads it), each with its mode, how it comes and
 * where it comes from in the repository; and the static files under src/bootstrap/files/ as the
 * node receives them, byte for byte.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { resolveConfig } from "../src/config";
import { buildApp, synthesize } from "../src/app";
import { NODE_ROLES, NodeRole } from "../src/bootstrap";
import { STATIC_FILES, STATIC_FILES_FOLDER } from "../src/bootstrap/static-files";
import { userDataOf } from "./helpers/synth";
import { deliveredFiles, ETCD_BACKUP, WORKLOAD_IDENTITY } from "./harness/node";
import { ROOT } from "./helpers/run";

interface Row {
  path: string;
  mode: string;
  comesIn: string;
  from: string;
}

interface Synth {
  dir: string;
  json: any;
}

const folders: string[] = [];
afterAll(() => folders.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function synth(input: Record<string, unknown>): Synth {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "boot-listing-"));
  folders.push(dir);
  synthesize(buildApp(resolveConfig(input), dir, false));
  return { dir, json: JSON.parse(fs.readFileSync(path.join(dir, "stacks/cluster/cdk.tf.json"), "utf8")) };
}

const unquote = (s: string) => s.replace(/^`|`$/g, "");

function listing(s: Synth, role: NodeRole): Row[] {
  const text = fs.readFileSync(path.join(s.dir, "stacks/cluster", `boot-${role}.md`), "utf8");
  return text
    .split("\n")
    .filter((l) => l.startsWith("| `"))
    .map((l) => {
      const [p, mode, comesIn, from] = l.slice(2, -2).split(" | ");
      return { path: unquote(p), mode, comesIn, from };
    });
}

/** "<path> <mode> <how it comes>" of every file the node of a role really receives, from the synthesized stack. */
function received(s: Synth, role: NodeRole): string[] {
  const doc = parse(userDataOf(s.json, role)) as { write_files: { path: string; permissions: string }[] };
  const inUserData = doc.write_files.map((f) => `${f.path} ${f.permissions} user data`);
  if (role === "worker") return inUserData;
  const objects = Object.values(s.json.resource.aws_s3_object) as { key: string; content_base64: string }[];
  const install = objects.find((o) => o.key.endsWith("/node/INSTALL"))!;
  const lines = Buffer.from(install.content_base64, "base64").toString("utf8").trim().split("\n");
  return [...inUserData, ...lines.map((l) => `${l.split(" ")[1]} ${l.split(" ")[0]} bundle`)];
}

const asReceived = (rows: Row[]) => rows.map((r) => `${r.path} ${r.mode} ${r.comesIn}`);
const sorted = (xs: string[]) => [...xs].sort();
const repeated = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);

describe("the default cluster (three control-plane nodes, etcd backups)", () => {
  const s = synth({});

  test("a listing per role, next to the spec trace", () =>
    expect(
      fs
        .readdirSync(path.join(s.dir, "stacks/cluster"))
        .filter((f) => f.endsWith(".md"))
        .sort(),
    ).toEqual(["boot-control-plane.md", "boot-worker.md", "spec-trace.md"]));

  test.each(NODE_ROLES)(
    "%s: every file in the user data and the bundle's node/INSTALL is listed once, and nothing else",
    (role) => {
      const rows = listing(s, role);
      expect(rows.length).toBeGreaterThan(10);
      expect(repeated(rows.map((r) => r.path))).toEqual([]);
      expect(sorted(asReceived(rows))).toEqual(sorted(received(s, role)));
    },
  );

  test("workers receive nothing from the bundle; control-plane nodes get the refresh and backup timers there", () => {
    expect(listing(s, "worker").filter((r) => r.comesIn !== "user data")).toEqual([]);
    const bundled = listing(s, "control-plane")
      .filter((r) => r.comesIn === "bundle")
      .map((r) => r.path);
    expect(bundled).toEqual(
      expect.arrayContaining([
        "/etc/systemd/system/k8s-join-refresh@token.timer",
        "/etc/systemd/system/k8s-etcd-backup.timer",
      ]),
    );
  });

  // Configuration files whose content no setting changes: kept as the files they are, not built in TypeScript.
  test.each([
    ["worker", "/etc/crictl.yaml"],
    ["worker", "/etc/kubernetes/image-credential-provider-config.yaml"],
    ["control-plane", "/etc/kubernetes/audit/policy.yaml"],
  ] as [NodeRole, string][])("%s: %s is the repository's file, and the listing names it as its source", (role, p) => {
    const kept = path.join(ROOT, STATIC_FILES_FOLDER, p);
    expect(deliveredFiles(role).find((f) => f.path === p)?.content).toBe(fs.readFileSync(kept, "utf8"));
    expect(listing(s, role).find((r) => r.path === p)?.from).toBe(`\`${STATIC_FILES_FOLDER}${p}\``);
  });

  test.each(NODE_ROLES)(
    "%s: every source is a file of the repository: the file itself, or the module that exports its generator",
    (role) => {
      const content = new Map(
        deliveredFiles(role, { etcdBackup: ETCD_BACKUP, workloadIdentity: WORKLOAD_IDENTITY }).map((f) => [
          f.path,
          f.content,
        ]),
      );
      for (const r of listing(s, role)) {
        const [file, name] = r.from.split(" ");
        const source = path.join(ROOT, unquote(file));
        expect({ path: r.path, exists: fs.existsSync(source) }).toEqual({ path: r.path, exists: true });
        const text = fs.readFileSync(source, "utf8");
        if (name) expect(text).toMatch(new RegExp(`^export (function|const) ${name}\\b`, "m"));
        else
          expect({ path: r.path, asInRepository: content.get(r.path) === text }).toEqual({
            path: r.path,
            asInRepository: true,
          });
      }
    },
  );
});

test("a cluster of one control-plane node without etcd backups: the same two listings, no backup files", () => {
  const s = synth({ controlPlane: { count: 1 }, etcdBackup: { enabled: false } });
  expect(
    fs
      .readdirSync(path.join(s.dir, "stacks/cluster"))
      .filter((f) => f.startsWith("boot-"))
      .sort(),
  ).toEqual(["boot-control-plane.md", "boot-worker.md"]);
  expect(sorted(asReceived(listing(s, "control-plane")))).toEqual(sorted(received(s, "control-plane")));
  expect(listing(s, "control-plane").some((r) => r.path.includes("etcd-backup"))).toBe(false);
});

describe("static files (src/bootstrap/files/<path on the node>)", () => {
  const everyRole = NODE_ROLES.flatMap((role) =>
    deliveredFiles(role, { etcdBackup: ETCD_BACKUP, workloadIdentity: WORKLOAD_IDENTITY }),
  );

  test("each is received by some role, as it is in the repository", () => {
    expect(Object.keys(STATIC_FILES).length).toBeGreaterThanOrEqual(8);
    for (const nodePath of Object.keys(STATIC_FILES)) {
      const copies = everyRole.filter((f) => f.path === nodePath);
      expect({ nodePath, received: copies.length > 0 }).toEqual({ nodePath, received: true });
      for (const c of copies)
        expect(c.content).toBe(fs.readFileSync(path.join(ROOT, STATIC_FILES_FOLDER, nodePath), "utf8"));
    }
  });

  test("every ExecStart of a static unit runs a program the same role receives, executable", () => {
    const units = Object.keys(STATIC_FILES).filter((p) => p.endsWith(".service"));
    let checked = 0;
    for (const role of NODE_ROLES) {
      const files = deliveredFiles(role);
      for (const unit of units.filter((u) => files.some((f) => f.path === u))) {
        const program = /^ExecStart=(\S+)/m.exec(STATIC_FILES[unit])![1];
        expect({ unit, program, mode: files.find((f) => f.path === program)?.permissions }).toEqual({
          unit,
          program,
          mode: "0755",
        });
        checked++;
      }
    }
    // At least k8s-join-refresh@.service on control-plane nodes.
    expect(checked).toBeGreaterThanOrEqual(1);
  });
});
