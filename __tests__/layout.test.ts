/**
 * The layout rule of docs/development.md: synth loads the app (main.ts and src/) and nothing else;
 * the developer tools (tools/: flow analysis, offline terraform check, golden stacks, generated
 * docs; scripts/) stay out of it. Read from esbuild's metafile of main.ts, bundled with the
 * options of package.json's synth script.
 */
import * as path from "path";
import { buildSync } from "esbuild";

test("synth loads main.ts and src/ only: nothing from tools/ or scripts/", () => {
  const { metafile } = buildSync({
    absWorkingDir: path.resolve(__dirname, ".."),
    entryPoints: ["main.ts"],
    bundle: true,
    platform: "node",
    target: "node20",
    packages: "external",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const loaded = Object.keys(metafile!.inputs);
  expect(loaded).toEqual(expect.arrayContaining(["main.ts", "src/app.ts", "src/analysis/tf-json.ts"]));
  expect(loaded.filter((f) => f !== "main.ts" && !f.startsWith("src/"))).toEqual([]);
});
