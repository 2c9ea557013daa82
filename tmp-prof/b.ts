import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import { addonBundle } from "../src/addons/bundle";
import { Testing } from "cdktf";
const s = { clusterName: "k8s-cluster", region: "ap-northeast-2", kubernetesMinor: "1.33", nodeFiles: [], workloadIdentity: true } as any;
for (let i = 0; i < 6; i++) { const a = performance.now(); addonBundle(s); console.log("bundle", (performance.now() - a).toFixed(0)); }
for (let i = 0; i < 4; i++) { const a = performance.now(); const b = buildApp(resolveConfig({})); const m = performance.now(); Testing.synth(b.cluster); console.log("build", (m - a).toFixed(0), "synth", (performance.now() - m).toFixed(0)); }
