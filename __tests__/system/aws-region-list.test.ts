/**
 * The region list synth accepts (src/aws/regions.ts) against its source: the partition data compiled
 * into the AWS provider this project pins, read from the binary in the provider mirror
 * (tools/terraform-check.ts, PROVIDER_MIRROR). Go packs its strings without separators
 * ("...fixed_gopap-east-2ca-west-1..."), so names are searched anywhere in the bytes, and the
 * regions' descriptions ("Asia Pacific (Taipei)") are counted as a check that reads no name pattern.
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

/** Every distinct match of an extended regular expression in the binary. */
function found(pattern: string): string[] {
  const r = spawnSync("grep", ["-aoE", pattern, providerBinary()], { encoding: "latin1", maxBuffer: 1 << 28 });
  if (r.error || r.status !== 0) throw new Error(`grep of the provider binary failed: ${r.error?.message ?? r.stderr}`);
  return [...new Set(r.stdout.split("\n").filter(Boolean))].sort();
}

/** Names found that are not regions of the partitions the list covers, each with the reason. */
const LEFT_OUT: Record<string, string> = {
  "eu-isoe-west-1": "an isolated (ISO) partition",
  "us-iso-east-1": "an isolated (ISO) partition",
  "us-iso-west-1": "an isolated (ISO) partition",
  "us-isob-east-1": "an isolated (ISO) partition",
  "us-isof-east-1": "an isolated (ISO) partition",
  "us-isof-south-1": "an isolated (ISO) partition",
  "de-east-1": "the tail of eusc-de-east-1, the European Sovereign Cloud's region (its own partition)",
};

test(`the known regions: the provider ${VERSION}'s region names but ISO and European Sovereign Cloud`, () => {
  expect(REGIONS_SOURCE).toContain(`terraform-provider-aws ${VERSION}`);
  const names = found(REGION_NAME.source.replace(/^\^/, "").replace(/\$$/, ""));
  expect(names).toEqual(expect.arrayContaining(Object.keys(LEFT_OUT)));
  expect(found("eusc-de-east-1")).toEqual(["eusc-de-east-1"]);
  expect([...KNOWN_REGIONS]).toEqual(names.filter((n) => !(n in LEFT_OUT)));
});

test("as many regions as the partition data has region descriptions for", () => {
  const geographies = "Africa|Asia Pacific|Canada|Canada West|China|Europe|EU|Israel|Mexico|Middle East|South America";
  const descriptions = found(`(${geographies}|US East|US West|AWS GovCloud) \\([A-Za-z .-]+\\)`);
  expect(descriptions).toContain("Asia Pacific (Taipei)");
  expect(descriptions).toContain("EU (Germany)");
  // Not regions of the list: the European Sovereign Cloud's, and the GovCloud partition's own name.
  const notListed = ["EU (Germany)", "AWS GovCloud (US)"];
  expect(descriptions).toEqual(expect.arrayContaining(notListed));
  expect(KNOWN_REGIONS).toHaveLength(descriptions.filter((d) => !notListed.includes(d)).length);
});
