import { Testing } from "cdktf";
import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
const ts: number[] = [];
for (let i = 0; i < 8; i++) {
  const a = performance.now();
  Testing.synth(buildApp(resolveConfig({})).cluster);
  ts.push(performance.now() - a);
}
console.log(ts.map((t) => t.toFixed(0)).join(" "));
