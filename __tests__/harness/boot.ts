/**
 * What the bootstrap test files share: nodes of the stub harness (node.ts) removed after the file's
 * tests, the SSM parameters a booted cluster holds, and readers of a run's calls and log.
 */
import { parseAllDocuments } from "yaml";
import {
  API_ENDPOINT,
  INSTANCE_ID,
  JOIN_PARAMETERS,
  NodeRun,
  OTHER_API_ENDPOINT,
  PREFIX,
  TERRAFORM_PARAMETERS,
  runNode,
  settingsFor,
} from "./node";
import { requireTool } from "./tools";
import { clusterBundle } from "../../src/bootstrap";

/**
 * runNode for one test file: bash is required, and every node it starts has its scratch folder
 * removed once the file's tests are done.
 */
export function nodeRunner(): typeof runNode {
  const runs: NodeRun[] = [];
  afterAll(() => runs.forEach((r) => r.cleanup()));
  return (...args) => {
    requireTool("bash");
    if (args[0] === "control-plane") requireTool("openssl");
    const n = runNode(...args);
    runs.push(n);
    return n;
  };
}

/** Terraform's parameters and the join parameters: what SSM holds once a cluster of this deployment exists. */
export const ALL_PARAMETERS: Readonly<Record<string, string>> = { ...TERRAFORM_PARAMETERS, ...JOIN_PARAMETERS };
export const VERSION_PARAMETER = `${PREFIX}/cluster/kubernetes-version`;
/** What the node that creates the cluster creates before kubeadm init (without --overwrite), in order. */
export const CREATED_SECRETS: readonly string[] = [
  `${PREFIX}/secrets/encryption-keys`,
  `${PREFIX}/secrets/service-account-key`,
];
/** SSM parameters without the cluster secrets (which a node that creates them makes anew each run). */
export const withoutClusterSecrets = (ssm: Readonly<Record<string, string>>) =>
  Object.fromEntries(Object.entries(ssm).filter(([name]) => !CREATED_SECRETS.includes(name)));
/** What the node that creates the cluster writes after kubeadm init, in order (the API endpoint last). */
export const PUBLISHED: readonly string[] = [
  `${PREFIX}/join/certificate-key`,
  `${PREFIX}/join/token`,
  `${PREFIX}/join/ca-cert-hash`,
  VERSION_PARAMETER,
  `${PREFIX}/join/api-endpoint`,
];
/** The init lock a node that created the cluster holds: its instance id and the API endpoint. */
export const OWN_INIT_LOCK: Readonly<Record<string, string>> = {
  [`${PREFIX}/init/lock`]: `${INSTANCE_ID} ${API_ENDPOINT}`,
};
/** The cluster bundle a control-plane node's user data names (harness settings). */
export const BUNDLE = clusterBundle(settingsFor("control-plane"));

export const yamlDocs = (text: string) => parseAllDocuments(text).map((d) => d.toJS());
/** The lines of a script's log that name a failed step. */
export const failedLines = (stderr: string) => stderr.split("\n").filter((l) => l.includes("FAILED"));
const STALE_LOG = [
  `k8s-bootstrap: stale join parameters (another deployment: ${OTHER_API_ENDPOINT})`,
  `under ${PREFIX}/join`,
].join(" ");
/** The log lines that say the join parameters found are another deployment's. */
export const staleLines = (stderr: string) => stderr.split("\n").filter((l) => l === STALE_LOG);

interface Calls {
  callsOf(prefix: string): readonly string[];
}
/** Names of the parameters a run wrote, in order. */
export const written = (r: Calls) => r.callsOf("aws ssm put-parameter").map((c) => c.split(" ")[4]);
/** Calls of apt-get install, with their package arguments only. */
export const installs = (r: Calls) =>
  r
    .callsOf("apt-get -y -q")
    .filter((c) => c.includes(" install "))
    .map((c) => c.split(" install ")[1]);

/** Asserts a successful run; on failure, shows the script's own account of it. */
export function expectSuccess(r: { status: number | null; stderr: string }) {
  expect({ status: r.status, failed: failedLines(r.stderr) }).toEqual({ status: 0, failed: [] });
}
