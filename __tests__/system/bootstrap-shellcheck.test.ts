/**
 * Every bootstrap script passes shellcheck with nothing to say (all severities), and follows the
 * scripts' conventions: strict mode, one error trap, node paths only under ${ROOT}.
 */
import * as path from "path";
import { BOOTSTRAP_SCRIPTS } from "../../src/bootstrap";
import { STUB_SCRIPTS } from "../harness/node";
import { run, runOnText } from "../harness/tools";

const LIB = "/usr/local/lib/k8s-bootstrap/lib.sh";
const scripts = Object.entries(BOOTSTRAP_SCRIPTS);
/**
 * Libraries are sourced, not run: lib.sh, lease.sh, bundle.sh (control-plane user data), and the
 * control-plane helpers that come with the bundle.
 */
const executables = scripts.filter(([p]) => !p.startsWith("/usr/local/lib/"));

/** Lines that name a node path (/etc, /var, ...) not under ${ROOT}, comments and URLs aside. */
function nodePathOffenders(text: string): string[] {
  return (
    text
      .split("\n")
      .filter((line) => !/^\s*#/.test(line))
      // Not preceded by "}" (of ${ROOT} or ${K8S_ROOT:-}) and not inside a URL.
      .filter((line) => /(^|[^}\w/:.-])\/(etc|var|usr|run|opt|home|root)\//.test(line))
      // The apt keyring's path is also a value written into the sources list; it is used as ${ROOT}${KEYRING}.
      .filter((line) => !/^KEYRING=\/etc\/apt\/keyrings\//.test(line))
      // Paths inside the etcd container (CTR_*), used on the node only as ${ROOT}${CTR_DATA}.
      .filter((line) => !/^CTR_[A-Z]+=\/(etc|var)\//.test(line))
  );
}

const SHELLCHECK = (file: string) => ["--shell=bash", "--severity=style", "--format=gcc", file];
const ROOT = path.resolve(__dirname, "../..");

describe("shellcheck", () => {
  test.each(scripts)("%s has no findings", (nodePath, text) => {
    const r = runOnText("shellcheck", path.basename(nodePath), text, SHELLCHECK);
    expect(`${r.stdout}${r.stderr}`.trim()).toBe("");
    expect(r.status).toBe(0);
  });

  const stubs = STUB_SCRIPTS.map((f) => `__tests__/harness/${f}`);
  const others = [...stubs, ".ci/run", "scripts/system-tools.sh"];
  test.each(others)("%s (the harness stubs and the CI scripts) has no findings either", (file) => {
    const r = run("shellcheck", SHELLCHECK(path.join(ROOT, file)));
    expect(`${r.stdout}${r.stderr}`.trim()).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("conventions", () => {
  test("nineteen scripts: five libraries and fourteen commands", () => {
    expect(Object.keys(BOOTSTRAP_SCRIPTS).sort()).toEqual([
      "/usr/local/lib/k8s-bootstrap/bundle.sh",
      "/usr/local/lib/k8s-bootstrap/control-plane-boot.sh",
      "/usr/local/lib/k8s-bootstrap/control-plane.sh",
      "/usr/local/lib/k8s-bootstrap/lease.sh",
      "/usr/local/lib/k8s-bootstrap/lib.sh",
      "/usr/local/sbin/k8s-addons",
      "/usr/local/sbin/k8s-bootstrap",
      "/usr/local/sbin/k8s-cert-renew",
      "/usr/local/sbin/k8s-cluster-secrets",
      "/usr/local/sbin/k8s-etcd-backup.sh",
      "/usr/local/sbin/k8s-etcd-members",
      "/usr/local/sbin/k8s-init-lock",
      "/usr/local/sbin/k8s-join-refresh",
      "/usr/local/sbin/k8s-lifecycle",
      "/usr/local/sbin/k8s-node-prepare",
      "/usr/local/sbin/k8s-oidc-publish",
      "/usr/local/sbin/k8s-termination-watch",
      "/usr/local/sbin/k8s-upgrade",
      "/usr/local/sbin/k8s-webhook-cert",
    ]);
  });

  test.each(executables)("%s runs in strict mode with the library's error trap", (_p, text) => {
    expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(text).toMatch(/^set -euo pipefail$/m);
    expect(text).toMatch(/^set -o errtrace$/m);
    expect(text).toContain(`. "\${K8S_ROOT:-}${LIB}"`);
  });

  test("the library traps errors with a one-line message naming the step", () => {
    const lib = BOOTSTRAP_SCRIPTS[LIB];
    expect(lib).toMatch(/^trap on_error ERR$/m);
    expect(lib).toContain(`log "FAILED at step '\${STEP}' (exit \${rc}): \${BASH_COMMAND}"`);
  });

  test("the node-path check catches a path outside ${ROOT}", () => {
    expect(nodePathOffenders('echo x >/etc/hosts\ncat "${ROOT}/etc/hosts"\n# /etc/in-a-comment')).toEqual([
      "echo x >/etc/hosts",
    ]);
    expect(nodePathOffenders("CTR_DATA=/var/lib/etcd\nDATA=/var/lib/etcd")).toEqual(["DATA=/var/lib/etcd"]);
  });

  test.each(scripts)("%s names node paths only under ${ROOT}", (_p, text) => {
    expect(nodePathOffenders(text)).toEqual([]);
  });
});
