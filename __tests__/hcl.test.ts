/**
 * npm run synth:hcl: the same stacks as HCL, produced offline, with the same resources (terraform fmt:
 * system/hcl-fmt.test.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolveConfig } from "../src/config";
import { buildApp, synthesize } from "../src/app";

const config = resolveConfig({});
const jsonOut = fs.mkdtempSync(path.join(os.tmpdir(), "synth-json-"));
const hclOut = fs.mkdtempSync(path.join(os.tmpdir(), "synth-hcl-"));
synthesize(buildApp(config, jsonOut, false));
synthesize(buildApp(config, hclOut, true));
afterAll(() => [jsonOut, hclOut].forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const addressesInHcl = (text: string) =>
  [...text.matchAll(/^(resource|data) "([^"]+)" "([^"]+)"/gm)].map(
    (m) => `${m[1] === "data" ? "data." : ""}${m[2]}.${m[3]}`,
  );
const addressesInJson = (tf: any) => [
  ...Object.entries(tf.resource ?? {}).flatMap(([t, byName]) => Object.keys(byName as object).map((n) => `${t}.${n}`)),
  ...Object.entries(tf.data ?? {}).flatMap(([t, byName]) => Object.keys(byName as object).map((n) => `data.${t}.${n}`)),
];

describe.each(["cluster", "state-bucket"])("%s stack", (stack) => {
  const hcl = () => fs.readFileSync(path.join(hclOut, "stacks", stack, "cdk.tf"), "utf8");
  const json = () => JSON.parse(fs.readFileSync(path.join(jsonOut, "stacks", stack, "cdk.tf.json"), "utf8"));
  test("HCL output exists and no stale JSON beside it", () => {
    expect(hcl()).toMatch(/^terraform \{/);
    expect(fs.existsSync(path.join(hclOut, "stacks", stack, "cdk.tf.json"))).toBe(false);
  });
  test("the same resources and data sources as the JSON", () =>
    expect(addressesInHcl(hcl()).sort()).toEqual(addressesInJson(json()).sort()));
  test("the same outputs", () =>
    expect([...hcl().matchAll(/^output "([^"]+)"/gm)].map((m) => m[1]).sort()).toEqual(
      Object.keys(json().output ?? {}).sort(),
    ));
  test("formatted (terraform fmt)", () => expect(hcl()).toMatch(/^ {2}required_providers \{$/m));
  test("the same check blocks", () =>
    expect([...hcl().matchAll(/^check "([^"]+)"/gm)].map((m) => m[1]).sort()).toEqual(
      Object.keys(json().check ?? {}).sort(),
    ));
});

describe("the HCL means what the JSON means, block by block (parsed back with @cdktf/hcl2json)", () => {
  // hcl2json gives every block as a list and keeps expressions as "${...}" strings; cdktf's JSON has
  // "//" metadata and its own spacing inside expressions. Normalised: singleton lists of blocks
  // unwrapped, metadata dropped, type constraints and expressions compared without spaces, bare
  // references in depends_on, ignore_changes and moved blocks as the names they are.
  const TYPE = /^\$\{((?:list|set|map|object|tuple)\([^]*\)|string|number|bool|any)\}$/;
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      const a = v.map(norm);
      return a.length === 1 && a[0] !== null && typeof a[0] === "object" && !Array.isArray(a[0]) ? a[0] : a;
    }
    if (v && typeof v === "object")
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => k !== "//")
          // References in these lists are bare in HCL (hcl2json: "${a.b}") and strings in JSON ("a.b").
          .map(([k, x]) => {
            const bare = (r: string) => r.replace(/^\$\{(.*)\}$/, "$1");
            if (k === "depends_on" || k === "ignore_changes") return [k, (x as string[]).map(bare)];
            // moved blocks: from and to are bare references too.
            if ((k === "from" || k === "to") && typeof x === "string") return [k, bare(x)];
            return [k, norm(x)];
          }),
      );
    if (typeof v === "string") {
      const t = v.replace(TYPE, "$1");
      return t.startsWith("${") ? t.replace(/\s+/g, "") : t;
    }
    return v;
  };
  const parsed = async (stack: string) => {
    const { parse } = await import("@cdktf/hcl2json");
    return norm(await parse("cdk.tf", fs.readFileSync(path.join(hclOut, "stacks", stack, "cdk.tf"), "utf8"))) as Record<
      string,
      Record<string, unknown>
    >;
  };
  const fromJson = (stack: string) =>
    norm(JSON.parse(fs.readFileSync(path.join(jsonOut, "stacks", stack, "cdk.tf.json"), "utf8"))) as Record<
      string,
      Record<string, unknown>
    >;

  test.each(["cluster", "state-bucket"])("%s: every top-level block equal", async (stack) => {
    const [hcl, json] = [await parsed(stack), fromJson(stack)];
    expect(Object.keys(hcl).sort()).toEqual(Object.keys(json).sort());
    for (const kind of Object.keys(json)) expect({ kind, blocks: hcl[kind] }).toEqual({ kind, blocks: json[kind] });
  });

  test("variables keep default, type, nullable, validation (cdktf's HCL drops nullable, empty defaults)", async () => {
    const vars = (await parsed("cluster")).variable as Record<string, Record<string, unknown>>;
    expect(vars.ssh_key_name).toMatchObject({ default: "", nullable: false, type: "string" });
    for (const [name, v] of Object.entries(fromJson("cluster").variable))
      expect({ name, v: vars[name] }).toEqual({ name, v });
  });

  test("no quoted references in depends_on or ignore_changes", () => {
    const text = fs.readFileSync(path.join(hclOut, "stacks", "cluster", "cdk.tf"), "utf8");
    const lists = [...text.matchAll(/(depends_on|ignore_changes) = \[([^\]]*)\]/g)];
    expect(lists.length).toBeGreaterThan(3);
    expect(lists.filter((m) => m[2].includes('"')).map((m) => m[0])).toEqual([]);
  });
});
