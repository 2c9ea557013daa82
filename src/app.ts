import { App } from "cdktf";
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
