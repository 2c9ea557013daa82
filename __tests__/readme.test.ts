/**
 * README.md is the user's manual and docs/*.md its runbooks: the generated sections must match the
 * code, the links and commands must exist, and every concrete name a runbook relies on (SSM
 * parameters, node paths, systemd units, Terraform outputs, variables and addresses, the etcd
 * snapshot layout, env file variables, bootstrap steps, workloads, tags) must be the code's own.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { documentationFiles, generatedSections, markedSections, renderDocumentation } from "../tools/docs";
import { configFieldPaths, resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { ssmParameterNames } from "../src/bootstrap";
import { SCRIPT_PATHS } from "../src/bootstrap/scripts";
import { KUBEADM_HOST_NETWORK_PODS } from "../src/addons/host-network";
import { parseImage } from "../src/bootstrap/image-pulls";
import { synthCluster, synthStateBucket, userDataOf } from "./helpers/synth";

const ROOT = path.resolve(__dirname, "..");
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");
const pkg = JSON.parse(read("package.json"));

/** README.md first, then docs/*.md. */
const FILES = documentationFiles(ROOT);
const DOCS = FILES.filter((f) => f !== "README.md");
const text: Record<string, string> = Object.fromEntries(FILES.map((f) => [f, read(f)]));
const readme = text["README.md"];
const all = FILES.map((f) => text[f]).join("\n");
/** Also checked for links: the bootstrap's developer note. */
const LINKED_FILES = [...FILES, "src/bootstrap/README.md"];

/** Text outside fenced code blocks, and the fenced blocks themselves. */
const prose = (t: string) => t.replace(/^```[\s\S]*?^```$/gm, "");
const codeBlocks = (t: string) => [...t.matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
/** Paragraphs of prose (blank-line separated), code blocks removed. */
const paragraphs = (t: string) => prose(t).split(/\n\s*\n/);
/** Text of the section under a heading, up to the next heading of the same or a higher level (code blocks skipped). */
function section(t: string, heading: string): string {
  const lines = t.split("\n");
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const level = heading.indexOf(" ");
  let inCode = false;
  let end = start + 1;
  for (; end < lines.length; end++) {
    if (lines[end].startsWith("```")) inCode = !inCode;
    const m = /^(#+) /.exec(lines[end]);
    if (!inCode && m && m[1].length <= level) break;
  }
  return lines.slice(start + 1, end).join("\n");
}
const uniq = <T>(xs: Iterable<T>) => [...new Set(xs)];
const matches = (re: RegExp, t = all) => uniq([...t.matchAll(re)].map((m) => m[1]));

// The default cluster, as synthesized (its JSON) and as built (its bundle and settings).
const config = resolveConfig({});
const { cluster } = buildApp(config);
const tf = synthCluster().json as Record<string, any>;
// With three zones: the per-zone worker groups (worker_asg_a, _b, _c) that docs/operations.md names.
const threeZones = synthCluster({ azCount: 3 }).json as Record<string, any>;

/** The files a node of each role receives in its user data (decoded from the synthesized stack). */
const writeFiles = (["control-plane", "worker"] as const).flatMap(
  (node) => (parse(userDataOf(tf, node)) as { write_files: { path: string; content: string }[] }).write_files,
);
const bundle = cluster.addonAssets.bundle;
const bundleInstall = bundle.files.find((f) => f.path === "node/INSTALL")!.text;
/** Every path a node receives: user data, and the bundle's control-plane files (node/INSTALL). */
const nodePaths = uniq([
  ...writeFiles.map((f) => f.path),
  ...bundleInstall
    .trim()
    .split("\n")
    .map((l) => l.split(" ")[1]),
]);
/** The env file's variables (the union over the roles; control-plane nodes carry the most). */
const envVars = new Map(
  writeFiles
    .filter((f) => f.path === "/etc/k8s-bootstrap/env")
    .flatMap((f) => f.content.split("\n").filter((l) => /^[A-Z0-9_]+=/.test(l)))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const),
);
const SCRIPTS_DIR = path.join(ROOT, "src/bootstrap/scripts");
const scripts = fs
  .readdirSync(SCRIPTS_DIR)
  .map((f) => fs.readFileSync(path.join(SCRIPTS_DIR, f), "utf8"))
  .join("\n");

describe("generated sections", () => {
  test("are up to date in README.md and every docs/*.md (run npm run docs)", () => {
    const rendered = renderDocumentation(text);
    for (const file of FILES) expect({ file, text: rendered[file] }).toEqual({ file, text: text[file] });
  });

  test("each is marked in exactly one file", () => {
    const where = FILES.flatMap((f) => markedSections(text[f]));
    expect(where.sort()).toEqual(Object.keys(generatedSections()).sort());
  });

  test("a section in no file, in two files, or unknown is an error", () => {
    const sections = { a: "A", b: "B" };
    const marked = (...names: string[]) => names.map((n) => `<!-- ${n}:start -->\nold\n<!-- ${n}:end -->\n`).join("");
    expect(renderDocumentation({ "README.md": marked("a"), "docs/x.md": `# x\n${marked("b")}` }, sections)).toEqual({
      "README.md": "<!-- a:start -->\nA\n<!-- a:end -->\n",
      "docs/x.md": "# x\n<!-- b:start -->\nB\n<!-- b:end -->\n",
    });
    expect(() => renderDocumentation({ "README.md": marked("a") }, sections)).toThrow(
      "no documentation file marks the section(s) b",
    );
    expect(() => renderDocumentation({ "README.md": marked("a", "b"), "docs/x.md": marked("b") }, sections)).toThrow(
      'section "b" is marked in both README.md and docs/x.md',
    );
    expect(() => renderDocumentation({ "README.md": marked("a", "b", "c") }, sections)).toThrow(
      'README.md marks a section "c"',
    );
    expect(() => renderDocumentation({ "README.md": `${marked("a")}<!-- b:start -->\n` }, sections)).toThrow(
      "README.md has no b section markers",
    );
    // A marker quoted in prose is not a marker.
    expect(markedSections("Sections between `<!-- name:start -->` and `<!-- name:end -->`")).toEqual([]);
  });
});

describe("the README", () => {
  test("is a short manual: at most 350 lines", () => {
    expect(readme.split("\n").length).toBeLessThanOrEqual(350);
  });

  test("links every docs/*.md file", () => {
    const linked = matches(/\]\((docs\/[^)#\s]+)/g, readme);
    expect(DOCS.filter((f) => !linked.includes(f))).toEqual([]);
  });

  test("every configuration field is in the configuration table, and every field the table lists exists", () => {
    const table = readme.slice(
      readme.indexOf("## Configuration (synth time)"),
      readme.indexOf("## Terraform variables"),
    );
    const listed = matches(/^\| `([A-Za-z.]+)` \|/gm, table);
    expect(configFieldPaths().filter((f) => !listed.includes(f))).toEqual([]);
    expect(listed.filter((f) => !configFieldPaths().includes(f))).toEqual([]);
  });

  test("the configuration table's defaults are the configuration's defaults", () => {
    const table = readme.slice(
      readme.indexOf("## Configuration (synth time)"),
      readme.indexOf("## Terraform variables"),
    );
    const at = (o: unknown, field: string): unknown => field.split(".").reduce((v: any, k) => v?.[k], o);
    const resolved = (field: string): unknown => {
      if (field === "network.vpcCidr") return cluster.plan.vpcCidr;
      const tier = /^network\.subnets\.(\w+)$/.exec(field)?.[1];
      if (tier) return cluster.plan.tiers[tier as keyof typeof cluster.plan.tiers].block;
      // workers.spot is off by default: its fields' defaults are those of a configuration that sets it.
      if (field.startsWith("workers.spot.") && field !== "workers.spot.instanceTypes")
        return at(resolveConfig({ workers: { spot: { instanceTypes: ["t3.large", "t3a.large"] } } }), field);
      return at(config, field);
    };
    const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
    const rows = [...table.matchAll(/^\| `([A-Za-z.]+)` \| ([^|]+?) \|/gm)].map((m) => [m[1], m[2].trim()] as const);
    expect(rows.length).toBe(configFieldPaths().length);
    for (const [field, cell] of rows) {
      if (cell === "none") expect({ field, value: resolved(field) }).toEqual({ field, value: undefined });
      const literal = /^`([^`]+)`$/.exec(cell)?.[1];
      if (literal === undefined) continue;
      const expected = configFieldPaths().includes(literal)
        ? show(resolved(literal))
        : literal.replace(/<clusterName>/g, config.clusterName).replace(/<region>/g, config.region);
      expect({ field, default: show(resolved(field)) }).toEqual({ field, default: expected });
    }
  });

  test("the example cluster.config.json is a valid configuration", () => {
    const example = /Example `cluster\.config\.json`[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1];
    expect(() => resolveConfig(JSON.parse(example))).not.toThrow();
  });

  test("the laptop list names every program the Getting in commands and the access outputs run", () => {
    const laptop = section(readme, "## What you need on your laptop");
    const named = matches(/`([a-z][a-z0-9-]*)`/g, laptop);
    const commands = [
      ...codeBlocks(section(readme, "## Getting in")).flatMap((b) => b.split("\n")),
      // The outputs that are commands (the others are addresses and ids).
      ...Object.values(tf.output as Record<string, { value: unknown }>).flatMap((o) =>
        typeof o.value === "string" && /\s/.test(o.value) ? [o.value] : [],
      ),
    ];
    // Shell builtins and coreutils, and what runs on a node after `aws ssm start-session`.
    const BASIC = new Set(["cd", "eval", "echo", "break", "sleep", "chmod", "cat", "cut", "sudo", "[", "export"]);
    const KEYWORDS = /^(until|while|do|then|else|if|fi|done)\b\s*/;
    const programs = uniq(
      commands.flatMap((line) =>
        line
          .replace(/\s#.*$/, "")
          .replace(/\$\(\([^)]*\)\)/g, "0")
          .split(/\s(?:&&|\|\||\||&)\s|;\s*|"?\$\(/)
          .map((s) =>
            s
              .trim()
              .replace(KEYWORDS, "")
              .replace(/^["'(]+/, ""),
          )
          .filter((s) => s && !/^\w+=/.test(s) && !/^(fi|done)$/.test(s))
          .map((s) => s.split(/\s/)[0]),
      ),
    ).filter((p) => !BASIC.has(p));
    expect(programs.length).toBeGreaterThan(3);
    expect(programs.filter((p) => !named.includes(p))).toEqual([]);
  });
});

describe("docs/*.md", () => {
  test.each(DOCS)("%s starts with a title and a one-line purpose", (file) => {
    const [title, blank, purpose, after] = text[file].split("\n");
    expect({ title: /^# \S/.test(title), blank, purpose: /^[A-Z].*\.$/.test(purpose), after }).toEqual({
      title: true,
      blank: "",
      purpose: true,
      after: "",
    });
  });
});

describe("every document", () => {
  /** GitHub's anchor for a heading. */
  const slug = (heading: string) =>
    heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
  const anchors = (file: string) =>
    prose(read(file))
      .split("\n")
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) => slug(l.replace(/^#+ /, "")));

  test.each(LINKED_FILES)("%s: every relative link points to a file that exists, and to a heading it has", (file) => {
    const broken: string[] = [];
    for (const [, target] of prose(read(file))
      .replace(/`[^`\n]*`/g, "")
      .matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [rel, anchor] = target.split("#");
      const to = rel ? path.normalize(path.join(path.dirname(file), rel)) : file;
      if (!fs.existsSync(path.join(ROOT, to))) broken.push(`${target}: no file ${to}`);
      else if (anchor && to.endsWith(".md") && !anchors(to).includes(anchor))
        broken.push(`${target}: no heading #${anchor} in ${to}`);
    }
    expect(broken).toEqual([]);
  });

  test("every `npm run X` exists in package.json", () => {
    const used = matches(/npm run ([a-z:]+)/g);
    expect(used.filter((s) => !(s in pkg.scripts))).toEqual([]);
  });

  test("says nothing about how the project was made, and names no path of this machine", () => {
    for (const file of LINKED_FILES) {
      const t = read(file);
      expect({
        file,
        found: t.match(
          /\b(this session|we (added|changed|built|were given)|the review|review(er)? found|issue \d+)\b/gi,
        ),
      }).toEqual({ file, found: null });
      expect({ file, found: t.match(/(^|[\s`"'(])\/(work|tmp)\/\S*/gm) }).toEqual({ file, found: null });
    }
  });
});

describe("the runbooks name what the code has", () => {
  const prefix = cluster.ssmPrefix;
  const parameters = Object.values(ssmParameterNames(prefix)).map((n) => n.slice(prefix.length + 1));

  test("the SSM prefix is /k8s/<clusterName>", () => {
    expect(prefix).toBe(`/k8s/${config.clusterName}`);
  });

  test("every SSM parameter the docs name is one of ssmParameterNames (a /* glob matches at least one)", () => {
    const named = [
      ...matches(/\/k8s\/<[^>]+>\/([a-z][a-z0-9/*-]*)/g),
      ...matches(/`((?:join|cluster|pods|load-balancer|assets)\/[a-z*-]+)`/g),
    ];
    expect(named.length).toBeGreaterThan(5);
    const known = (n: string) =>
      n.endsWith("*") ? parameters.some((p) => p.startsWith(n.slice(0, -1))) : parameters.includes(n);
    expect(named.filter((n) => !known(n))).toEqual([]);
  });

  test("the SSM parameter table of docs/boot.md lists exactly the parameters", () => {
    const table = section(text["docs/boot.md"], "## SSM parameters");
    expect(matches(/^\| `([^`]+)`/gm, table).sort()).toEqual([...parameters].sort());
  });

  test("every node path the docs name is a file nodes receive (user data or bundle) or one the scripts write", () => {
    const credentialProvider = envVars.get("ECR_CREDENTIAL_PROVIDER_BIN")!;
    const named = matches(
      /((?:\/usr\/local\/(?:sbin|lib|libexec)|\/etc\/k8s-bootstrap|\/etc\/systemd\/system)\/[A-Za-z0-9._@/-]+)/g,
    ).map((p) => p.replace(/\.$/, ""));
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((p) => !nodePaths.includes(p) && p !== credentialProvider)).toEqual([]);
    // State the scripts keep: up to the first placeholder, a path the scripts name.
    const state = matches(/(\/var\/lib\/k8s-bootstrap\/[A-Za-z0-9._/-]*)/g);
    expect(state.length).toBeGreaterThan(1);
    expect(state.filter((p) => !scripts.includes(p))).toEqual([]);
  });

  test("the scripts table of docs/boot.md lists every script the nodes receive", () => {
    const table = section(text["docs/boot.md"], "## Scripts on the nodes");
    expect(Object.values(SCRIPT_PATHS).filter((p) => !table.includes(`| \`${p}`))).toEqual([]);
  });

  test("every k8s-* systemd unit the docs name is one nodes receive (instances of a template unit included)", () => {
    const units = nodePaths.filter((p) => p.startsWith("/etc/systemd/system/")).map((p) => path.basename(p));
    const named = matches(/\b(k8s-[a-z0-9-]+(?:@[a-z0-9]*)?\.(?:service|timer))\b/g);
    expect(named.length).toBeGreaterThan(4);
    // A template service's instance is one a node's timer starts (k8s-join-refresh@token.timer -> @token.service).
    const known = (u: string) =>
      units.includes(u) ||
      (units.includes(u.replace(/@[a-z0-9]+\./, "@.")) && units.includes(u.replace(/\.service$/, ".timer")));
    expect(named.filter((u) => !known(u))).toEqual([]);
  });

  test("every `terraform output` the docs tell you to run is an output of the cluster stack", () => {
    const named = matches(/terraform output (?:-raw |-json )?([a-z0-9_]+)/g);
    expect(named.length).toBeGreaterThan(3);
    expect(named.filter((o) => !(o in tf.output))).toEqual([]);
  });

  test("every -var / TF_VAR_ the docs set is a variable of the cluster stack", () => {
    const named = [...matches(/-var[ =]([a-z0-9_]+)=/g), ...matches(/TF_VAR_([a-z0-9_]+)/g)];
    expect(named.length).toBeGreaterThan(2);
    expect(named.filter((v) => !(v in tf.variable))).toEqual([]);
  });

  test("every Terraform name in backticks is a variable, output, check, resource type or name, or a stack key", () => {
    const keys = new Set<string>();
    const walk = (v: unknown) => {
      if (!v || typeof v !== "object") return;
      for (const [k, x] of Object.entries(v)) {
        keys.add(k);
        walk(x);
      }
    };
    // The cluster stack (one zone and three), and the state bucket stack (its prevent_destroy).
    for (const stack of [tf, threeZones, synthStateBucket().json as Record<string, any>]) walk(stack);
    // Terraform's own words the docs use: a test file's override_data, the CLI configuration's filesystem_mirror;
    // br_netfilter is a kernel module (in /etc/modules-load.d/k8s.conf).
    const OTHER = ["override_data", "filesystem_mirror", "br_netfilter"];
    const named = matches(/`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`/g);
    expect(named.filter((n) => !keys.has(n) && !OTHER.includes(n))).toEqual([]);
    expect(writeFiles.find((f) => f.path === "/etc/modules-load.d/k8s.conf")?.content).toContain("br_netfilter");
  });

  test("every Terraform address the docs name is in the stack of one zone or three (camelCase ones: moved)", () => {
    const named = matches(/\b((?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_]+)/g);
    expect(named.length).toBeGreaterThan(3);
    const moved = new Set((tf.moved as { from: string }[]).map((m) => m.from));
    const exists = (a: string) => {
      const [kind, type, name] = a.startsWith("data.") ? a.split(".") : ["resource", ...a.split(".")];
      const byName = (stack: Record<string, any>) => (kind === "data" ? stack.data : stack.resource)[type] ?? {};
      return [tf, threeZones].some((s) => name.replace(/_N$/, "_0") in byName(s)) || moved.has(a);
    };
    expect(named.filter((a) => !exists(a))).toEqual([]);
  });

  describe("the etcd snapshot layout", () => {
    const backupScript = fs.readFileSync(path.join(SCRIPTS_DIR, "k8s-etcd-backup.sh"), "utf8");
    const url = /^URL="([^"]+)"$/m.exec(backupScript)![1];
    const stampFormat = /^STAMP=\$\(date -u \+([^)]+)\)$/m.exec(backupScript)![1];
    const etcdPrefix = envVars.get("ETCD_BACKUP_PREFIX")!;
    const runbook = text["docs/etcd-restore.md"];

    test("the script writes s3://bucket/prefix/node/stamp.db, with the cluster's prefix <clusterName>/etcd", () => {
      expect(url).toBe("s3://${ETCD_BACKUP_BUCKET}/${ETCD_BACKUP_PREFIX}/${NODE_NAME}/${STAMP}.db");
      expect(etcdPrefix).toBe(`${config.clusterName}/etcd`);
      expect(envVars.get("ETCD_BACKUP_BUCKET")).toBe(config.etcdBackup.bucket);
      expect(tf.output.etcd_backup_location.value).toMatch(new RegExp(`^s3://.*/${etcdPrefix}/$`));
    });

    test("the runbook gives that layout and a matching example key", () => {
      const layout = url
        .replace("${ETCD_BACKUP_BUCKET}", "<etcdBackup.bucket>")
        .replace("${ETCD_BACKUP_PREFIX}", etcdPrefix.replace(config.clusterName, "<clusterName>"))
        .replace("${NODE_NAME}", "<node name>")
        .replace("${STAMP}", "<UTC time>");
      expect(runbook).toContain(layout);
      const stamp = stampFormat.replace(/%Y/, "\\d{4}").replace(/%[mdHMS]/g, "\\d{2}");
      const example = new RegExp(
        `^s3://${config.etcdBackup.bucket}/${etcdPrefix}/` +
          `ip-[0-9-]+\\.${config.region}\\.compute\\.internal/${stamp}\\.db$`,
        "m",
      );
      expect(runbook).toMatch(example);
      expect(runbook).toContain(`date -u +${stampFormat}`);
    });
  });

  test("variables used in a code block sourcing /etc/k8s-bootstrap/env are in the env file or set in the block", () => {
    const blocks = FILES.flatMap((f) => codeBlocks(text[f])).filter((b) => /^\. \/etc\/k8s-bootstrap\/env/m.test(b));
    expect(blocks.length).toBeGreaterThan(1);
    for (const block of blocks) {
      const set = new Set(matches(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g, block));
      const used = matches(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g, block);
      expect(used.filter((v) => !envVars.has(v) && !set.has(v) && !["PATH", "HOME"].includes(v))).toEqual([]);
    }
  });

  test("env file variables named next to /etc/k8s-bootstrap/env are in it", () => {
    const named = FILES.flatMap((f) => paragraphs(text[f]))
      .filter((p) => p.includes("/etc/k8s-bootstrap/env"))
      .flatMap((p) => matches(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g, p));
    expect(named.length).toBeGreaterThan(1);
    expect(named.filter((v) => !envVars.has(v))).toEqual([]);
  });

  test('every bootstrap step the docs quote (step "...") is a step of the scripts; log formats are lib.sh\'s', () => {
    const steps = matches(/^\s*step "([^"]+)"/gm, scripts).map(
      (s) => new RegExp(`^${s.replace(/[.*+?^()|[\]\\]/g, "\\$&").replace(/\$\{[^}]+\}/g, ".+")}$`),
    );
    const quoted = matches(/step "([^"]+)"/g, prose(all).replace(/\n\s*/g, " "));
    expect(quoted.length).toBeGreaterThan(3);
    expect(quoted.filter((q) => !steps.some((s) => s.test(q)))).toEqual([]);
    const lib = fs.readFileSync(path.join(SCRIPTS_DIR, "lib.sh"), "utf8");
    expect(lib).toContain(`log "step: $1"`);
    expect(lib).toContain(`log "FAILED at step '\${STEP}'`);
    expect(all).toContain("k8s-bootstrap: step: ...");
    expect(all).toContain("FAILED at step '...'");
  });

  test("workloads the docs restart or inspect are the bundle's or kubeadm's, as is set image's container+image", () => {
    const objects = bundle.files.flatMap((f) => f.objects);
    const kubeadm: Record<string, string[]> = {
      DaemonSet: [...KUBEADM_HOST_NETWORK_PODS.worker],
      Deployment: ["coredns"],
    };
    const kinds: Record<string, string> = { daemonset: "DaemonSet", ds: "DaemonSet", deployment: "Deployment" };
    const named = matches(/\b((?:daemonset|ds|deployment)\/[a-z0-9-]+)/g);
    expect(named.length).toBeGreaterThan(3);
    const exists = (ref: string) => {
      const [k, name] = ref.split("/");
      return kubeadm[kinds[k]].includes(name) || objects.some((o) => o.kind === kinds[k] && o.metadata.name === name);
    };
    expect(named.filter((r) => !exists(r))).toEqual([]);
    for (const [, name, container, image] of all.matchAll(
      /set image daemonset\/([a-z0-9-]+) ([a-z0-9-]+)=([^:\s]+):/g,
    )) {
      const ds = objects.find((o) => o.kind === "DaemonSet" && o.metadata.name === name) as any;
      const c = ds.spec.template.spec.containers.find((x: { name: string }) => x.name === container);
      expect({
        name,
        container,
        repository: c && `${parseImage(c.image).registry}/${parseImage(c.image).repository}`,
      }).toEqual({ name, container, repository: image });
    }
  });

  test("the tags the docs target workers by are the worker instances' tags", () => {
    const tags = (
      tf.resource.aws_launch_template.worker_launch_template.tag_specifications as {
        resource_type: string;
        tags: Record<string, string>;
      }[]
    ).find((t) => t.resource_type === "instance")!.tags;
    const pairs = [...all.matchAll(/Key=tag:([^,]+),Values=([^"\s]+)/g)].map((m) => [
      m[1].replace(/<[^>]+>/, config.clusterName),
      m[2],
    ]);
    expect(pairs.length).toBeGreaterThan(1);
    for (const [key, value] of pairs) expect({ key, value: tags[key] }).toEqual({ key, value });
  });

  test("the cost estimate counts the default configuration's machines", () => {
    const cost = text["docs/cost.md"];
    expect(cost).toContain(
      `| Control-plane instances ${config.controlPlane.instanceType} | ${config.controlPlane.count} |`,
    );
    expect(cost).toContain(`| Worker instances ${config.workers.instanceType} | ${config.workers.desired} |`);
    expect(cost).toContain(`| Bastion ${config.bastion.instanceType} | 1 |`);
    expect(cost).toContain(
      `(${config.controlPlane.count} x ${config.controlPlane.rootVolumeGiB} + ` +
        `${config.workers.desired} x ${config.workers.rootVolumeGiB} + 20 GiB)`,
    );
  });
});

test(".ci/run runs the README's test command after a clean install", () => {
  const ci = read(".ci/run");
  expect(ci).toMatch(/npm ci[\s\S]*npm run typecheck[\s\S]*npm test/);
});

test("cdktf synth and deploy run the same app command as npm run synth", () => {
  const cdktf = JSON.parse(read("cdktf.json"));
  expect(cdktf.app).toBe(pkg.scripts.synth);
});
