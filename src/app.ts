import * as fs from "fs";
import * as path from "path";
import { App } from "cdktf";
import { stackToJson } from "./analysis/tf-json";
import { traceMarkdown, traceRows } from "./analysis/trace";
import { ClusterConfig } from "./config";
import { ClusterStack } from "./stacks/cluster-stack";
import { StateBucketStack } from "./stacks/state-bucket-stack";

export const CLUSTER_STACK = "cluster";
export const STATE_BUCKET_STACK = "state-bucket";

export interface BuiltApp {
  readonly app: App;
  readonly cluster: ClusterStack;
  readonly stateBucket: StateBucketStack;
}

/** Both stacks of one configuration. Throws ConfigError on bad configuration, before any output. */
export function buildApp(config: ClusterConfig, outdir?: string): BuiltApp {
  const app = new App({ outdir, skipValidation: false });
  const stateBucket = new StateBucketStack(app, STATE_BUCKET_STACK, { config });
  const cluster = new ClusterStack(app, CLUSTER_STACK, { config });
  return { app, cluster, stateBucket };
}

/** Writes cdktf.out (both stacks) and the spec trace report next to the cluster stack. */
export function synthesize(built: BuiltApp): string {
  built.app.synth();
  const tf = stackToJson(built.cluster);
  const file = path.join(built.app.outdir, "stacks", CLUSTER_STACK, "spec-trace.md");
  fs.writeFileSync(file, traceMarkdown(traceRows(tf, built.cluster.plan, built.cluster.securityPlan)));
  return file;
}
