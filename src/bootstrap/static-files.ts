/**
 * Files a node receives whose content does not depend on the configuration, kept in the
 * repository as the files they are, at src/bootstrap/files/<path on the node> (they read, diff and
 * lint as configuration files, not as strings in TypeScript). To add one: put it there and list it
 * once, with its mode, in the index of node files (node-files.ts `nodeFiles`); a file there that
 * no role receives fails the unit tier.
 */
import * as fs from "fs";
import * as path from "path";
import { repositoryFolder } from "../addons/vendored";

/** A folder of src/bootstrap/, found from the sources (tsx, ts-jest) and from the bundle in dist/ alike. */
export function bootstrapFolder(name: "files" | "scripts"): string {
  return path.join(repositoryFolder("src", `bootstrap/${name}`), "bootstrap", name);
}

/** Where the static files are kept, from the repository root. */
export const STATIC_FILES_FOLDER = "src/bootstrap/files";

function nodePathsBelow(dir: string, nodeDir = ""): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? nodePathsBelow(path.join(dir, e.name), `${nodeDir}/${e.name}`) : [`${nodeDir}/${e.name}`],
    )
    .sort();
}

const FILES_DIR = bootstrapFolder("files");

/** Path on the node -> text, for every file under src/bootstrap/files/. */
export const STATIC_FILES: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(nodePathsBelow(FILES_DIR).map((p) => [p, fs.readFileSync(path.join(FILES_DIR, p), "utf8")])),
);

/** The text of the static file installed at `nodePath`. */
export function staticFileText(nodePath: string): string {
  const text = STATIC_FILES[nodePath];
  if (text === undefined)
    throw new Error(
      `bootstrap: ${STATIC_FILES_FOLDER}${nodePath} does not exist; keep a static node file at its node path there`,
    );
  return text;
}
