/**
 * The audit policy on a control-plane node that creates the cluster, run under bash against the stub
 * harness: in place before kubeadm init writes the API server's manifest. The kubeadm stub fails as
 * kubeadm's wait-control-plane phase does when kube-apiserver cannot open the file its
 * --audit-policy-file flag names (k8s.io/apiserver/pkg/server/options/audit.go reads it at start).
 */
import * as fs from "fs";
import * as path from "path";
import { AUDIT_PATHS, auditPolicyText } from "../../src/bootstrap/audit";
import { NodeRun, TERRAFORM_PARAMETERS, runNode } from "../harness/node";
import { requireTool } from "../harness/tools";

describe("a control-plane node that creates the cluster, with the audit log", () => {
  let n: NodeRun;
  beforeAll(() => {
    requireTool("bash");
    n = runNode("control-plane", { ssm: TERRAFORM_PARAMETERS });
  });
  afterAll(() => n.cleanup());

  test("boots, and kubeadm init ran with the policy in place, as the bundle delivered it", () => {
    expect(n.status).toBe(0);
    expect(n.callsOf("kubeadm init --config")).toHaveLength(1);
    expect(n.nodeFile(AUDIT_PATHS.policyFile.slice(1))).toBe(auditPolicyText());
    expect(n.kept("kubeadm-init.yaml")).toContain(`value: "${AUDIT_PATHS.policyFile}"`);
  });

  test("without the policy file, kubeadm init fails the way the API server would (the stub is strict)", () => {
    fs.rmSync(path.join(n.root, AUDIT_PATHS.policyFile));
    const config = path.join(n.root, "init-again.yaml");
    fs.writeFileSync(config, n.kept("kubeadm-init.yaml")!);
    const r = n.stub("kubeadm", "init", "--config", config);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`open ${AUDIT_PATHS.policyFile}: no such file or directory`);
  });
});
