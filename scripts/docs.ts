/**
 * `npm run docs`: rewrites the generated sections of README.md and docs/*.md (between
 * `<!-- name:start -->` and `<!-- name:end -->`) from the code's own data, in whichever file holds
 * each. A test fails when one is out of date.
 */
import * as fs from "fs";
import * as path from "path";
import { DOCS_ROOT, documentationFiles, renderDocumentation, sectionFiles } from "../tools/docs";

const files = Object.fromEntries(
  documentationFiles().map((f) => [f, fs.readFileSync(path.join(DOCS_ROOT, f), "utf8")]),
);
const rendered = renderDocumentation(files);
for (const [file, names] of Object.entries(sectionFiles(files))) {
  const changed = rendered[file] !== files[file];
  if (changed) fs.writeFileSync(path.join(DOCS_ROOT, file), rendered[file]);
  console.log(`${file}: ${names.join(", ")} ${changed ? "updated" : "up to date"}`);
}
