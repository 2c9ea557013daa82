/**
 * `npm run docs`: rewrites the generated sections of README.md (between `<!-- name:start -->` and
 * `<!-- name:end -->`) from the code's own data. A test fails when the README is out of date.
 */
import * as fs from "fs";
import * as path from "path";
import { readmeSections, replaceSections } from "../src/docs";

const file = path.resolve(__dirname, "../README.md");
fs.writeFileSync(file, replaceSections(fs.readFileSync(file, "utf8"), readmeSections()));
console.log(`README.md: ${Object.keys(readmeSections()).join(", ")} updated`);
