/**
 * The EC2 instance types synth accepts without `allowUnlistedInstanceTypes`: every type in
 * misc/eni-max-pods.txt of aws/amazon-vpc-cni-k8s v1.23.0 (commit 0c65d58, 2026-07-31), which AWS
 * generates from the EC2 DescribeInstanceTypes API over all commercial regions. It is vendored
 * unchanged under data/eni-max-pods/v1.23.0 with its SHA-256; a type released after that list
 * needs the escape hatch (and a wrong spelling gets the message, not a launch that never happens).
 */
import * as fs from "fs";
import * as path from "path";
import { loadVendored } from "../addons/vendored";

export const INSTANCE_TYPES_SOURCE = "aws/amazon-vpc-cni-k8s v1.23.0 misc/eni-max-pods.txt, 2026-07-31";

// Beside the sources (tsx, ts-jest: src/aws/../../data) or beside dist/ for the bundled synth.
const CANDIDATES = [path.join(__dirname, "..", "..", "data"), path.join(__dirname, "..", "data")];

let known: ReadonlySet<string> | undefined;

/** Instance types in the vendored list (read and checked once per process). */
export function knownInstanceTypes(): ReadonlySet<string> {
  if (!known) {
    const root = CANDIDATES.find((d) => fs.existsSync(path.join(d, "eni-max-pods")));
    if (!root) throw new Error(`data: no data/eni-max-pods folder at ${CANDIDATES.join(" or ")}`);
    const [file] = loadVendored("eni-max-pods", "v1.23.0", root).files;
    const types = file.text
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.startsWith("#"))
      .map((line) => line.split(/\s+/)[0]);
    known = new Set(types);
  }
  return known;
}

/** Why an instance type is not one synth accepts, or undefined. */
export function instanceTypeProblem(instanceType: string, allowUnlisted: boolean): string | undefined {
  if (allowUnlisted || knownInstanceTypes().has(instanceType)) return undefined;
  return `is not in the EC2 instance type list (${INSTANCE_TYPES_SOURCE}); check the spelling, or set allowUnlistedInstanceTypes: true for a type newer than the list`;
}
