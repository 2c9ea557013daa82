/** `npm run golden`: rewrites the golden stacks in __tests__/golden/ from the current code (review the diff). */
import * as fs from "fs";
import * as path from "path";
import { GOLDEN_CONFIGS, goldenStacks } from "../tools/golden";

const dir = path.resolve(__dirname, "../__tests__/golden");
fs.mkdirSync(dir, { recursive: true });
for (const [name, input] of Object.entries(GOLDEN_CONFIGS)) {
  for (const [stack, text] of Object.entries(goldenStacks(input))) {
    const file = path.join(dir, `${name}.${stack}.tf.json`);
    const before = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    if (before !== text) fs.writeFileSync(file, text);
    process.stdout.write(`${before === text ? "unchanged" : "wrote"} ${path.relative(process.cwd(), file)}\n`);
  }
}
