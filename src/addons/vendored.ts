/**
 * Upstream manifests vendored unchanged under addons/<name>/<version>/, each folder with a
 * SOURCE.json that records where the files came from and their SHA-256. Synth reads them from
 * here and refuses a file whose bytes differ from its record: a vendored manifest is changed only
 * by vendoring it again, and our changes to it are separate, visible patches.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

export interface VendoredSource {
  readonly name: string;
  readonly version: string;
  readonly repository: string;
  /** Git commit the version tag pointed at when the files were vendored. */
  readonly commit: string;
  /** Path of the file in the upstream repository. */
  readonly path: string;
  /** Where the file is published (for a human; nodes never download it). */
  readonly url: string;
  /** File name in the folder -> SHA-256 (hex). */
  readonly files: Readonly<Record<string, string>>;
}

export interface VendoredFile {
  /** Path relative to addons/, e.g. "vpc-cni/v1.23.0/aws-k8s-cni.yaml". */
  readonly path: string;
  readonly text: string;
  readonly sha256: string;
}

export interface VendoredAddon {
  readonly source: VendoredSource;
  readonly files: readonly VendoredFile[];
}

/**
 * A top-level folder of the repository that holds `marker` (addons/ with vpc-cni, data/ with
 * eni-max-pods), found upwards from this file, whether it runs from src/ (tsx, ts-jest) or from the
 * bundle in dist/; the search stops at the repository root (its package.json).
 */
export function repositoryFolder(name: string, marker: string): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(path.join(candidate, marker))) return candidate;
    if (fs.existsSync(path.join(dir, "package.json")) || path.dirname(dir) === dir)
      throw new Error(`${name}: no ${name}/${marker} in the repository (looked up from ${__dirname} to ${dir})`);
  }
}

/** The repository's addons/ folder. */
export function addonsRoot(): string {
  return repositoryFolder("addons", "vpc-cni");
}

export const sha256 = (data: string | Buffer): string => crypto.createHash("sha256").update(data).digest("hex");

const HEX64 = /^[0-9a-f]{64}$/;

function readSource(dir: string, rel: string, where: string): VendoredSource {
  const file = path.join(dir, "SOURCE.json");
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(
      `${where}/SOURCE.json cannot be read (${(e as Error).message}); every vendored folder records its source there`,
      { cause: e },
    );
  }
  const s = raw as Partial<VendoredSource>;
  for (const key of ["name", "version", "repository", "commit", "path", "url"] as const) {
    if (typeof s[key] !== "string" || s[key] === "")
      throw new Error(`${where}/SOURCE.json: "${key}" is missing; record the upstream ${key}`);
  }
  if (!s.files || typeof s.files !== "object" || Object.keys(s.files).length === 0)
    throw new Error(`${where}/SOURCE.json: "files" is empty; record each vendored file with its SHA-256`);
  for (const [name, digest] of Object.entries(s.files))
    if (!HEX64.test(String(digest)))
      throw new Error(`${where}/SOURCE.json: files["${name}"] = ${JSON.stringify(digest)} is not a SHA-256 in hex`);
  if (`${s.name}/${s.version}` !== rel)
    throw new Error(`${where}/SOURCE.json names ${s.name}/${s.version}; the folder must be named <name>/<version>`);
  return s as VendoredSource;
}

/**
 * One vendored folder (an add-on under addons/, or upstream data under data/), its files checked against SOURCE.json
 * (bytes as published, nothing extra).
 */
export function loadVendored(name: string, version: string, root = addonsRoot()): VendoredAddon {
  const rel = `${name}/${version}`;
  const where = `${path.basename(root)}/${rel}`;
  const dir = path.join(root, name, version);
  if (!fs.existsSync(dir)) throw new Error(`${where} does not exist; vendor ${name} ${version} there first`);
  const source = readSource(dir, rel, where);
  const present = fs
    .readdirSync(dir)
    .filter((f) => f !== "SOURCE.json")
    .sort();
  const recorded = Object.keys(source.files).sort();
  const extra = present.filter((f) => !recorded.includes(f));
  if (extra.length)
    throw new Error(`${where}/${extra[0]} is not recorded in SOURCE.json; record it with its SHA-256 or remove it`);
  const files = recorded.map((f) => {
    const full = path.join(dir, f);
    if (!fs.existsSync(full)) throw new Error(`${where}/${f} is recorded in SOURCE.json but missing`);
    const bytes = fs.readFileSync(full);
    const digest = sha256(bytes);
    if (digest !== source.files[f])
      throw new Error(
        `${where}/${f}: SHA-256 is ${digest}, SOURCE.json records ${source.files[f]}; ` +
          "vendored files stay as published (vendor it again, or patch it in TypeScript)",
      );
    return { path: `${rel}/${f}`, text: bytes.toString("utf8"), sha256: digest };
  });
  return { source, files };
}
