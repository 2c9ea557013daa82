/**
 * The region list synth accepts (src/aws/regions.ts) against its source: the endpoint data compiled
 * into the AWS provider this project pins, read from the binary in the provider mirror
 * (tools/terraform-check.ts, PROVIDER_MIRROR), as the list's comment says it was made.
 */
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { PROVIDER_MIRROR } from "../../tools/terraform-check";
import { KNOWN_REGIONS, REGION_NAME, REGIONS_SOURCE } from "../../src/aws/regions";

const VERSION = "5.100.0";

function providerBinary(): string {
  const dir = path.join(PROVIDER_MIRROR, "registry.terraform.io/hashicorp/aws", VERSION);
  const platform = fs.readdirSync(dir).find((p) => p.startsWith(`${process.platform}_`));
  if (!platform) throw new Error(`no ${process.platform} build of the AWS provider ${VERSION} under ${dir}`);
  return path.join(dir, platform, `terraform-provider-aws_v${VERSION}_x5`);
}

/**
 * Every region name in the binary: the strings `grep -ao` finds with the list's own name pattern,
 * starting at a word boundary (the binary packs its strings without separators, so a name is found
 * wherever it starts after a non-letter).
 */
function regionsInProvider(): string[] {
  const core = REGION_NAME.source.replace(/^\^/, "").replace(/\$$/, "");
  const r = spawnSync("grep", ["-aoE", `\\b${core}`, providerBinary()], { encoding: "latin1", maxBuffer: 1 << 28 });
  if (r.error || r.status !== 0) throw new Error(`grep of the provider binary failed: ${r.error?.message ?? r.stderr}`);
  return [...new Set(r.stdout.split("\n").filter(Boolean))].sort();
}

const grepCount = (text: string) =>
  Number(spawnSync("grep", ["-acF", text, providerBinary()], { encoding: "latin1" }).stdout.trim());

test(`the known regions are the provider ${VERSION}'s regions outside the isolated (ISO) partitions`, () => {
  expect(REGIONS_SOURCE).toContain(`terraform-provider-aws ${VERSION}`);
  const regions = regionsInProvider();
  const isolated = regions.filter((r) => /-iso[a-z]?-/.test(r));
  expect(isolated).toEqual(expect.arrayContaining(["us-iso-east-1", "us-isob-east-1"]));
  // "de-east-1" is the tail of the European Sovereign Cloud's eusc-de-east-1, a partition of its own.
  expect(grepCount("eusc-de-east-1")).toBeGreaterThan(0);
  expect([...KNOWN_REGIONS]).toEqual(regions.filter((r) => !isolated.includes(r) && r !== "de-east-1"));
});
