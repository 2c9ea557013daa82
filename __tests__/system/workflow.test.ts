/** The GitHub Actions workflow cannot run here: lint it with yamllint and check it runs the README's commands. */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { TOOLS, run } from "../harness/tools";

const ROOT = path.resolve(__dirname, "../..");
const file = path.join(ROOT, ".github/workflows/ci.yml");
const text = fs.readFileSync(file, "utf8");
const wf = parse(text);
const runs = (job: string): string => (wf.jobs[job].steps as { run?: string }[]).map((s) => s.run ?? "").join("\n");

test("yamllint passes (with the repository's .yamllint.yml)", () => {
  const r = run("yamllint", ["-s", "-c", path.join(ROOT, ".yamllint.yml"), file]);
  expect({ status: r.status, out: `${r.stdout}${r.stderr}` }).toEqual({ status: 0, out: "" });
});

test("the test job runs the README's commands in order: install, type-check, both test tiers, synth", () => {
  const order = ["npm ci", "npm run typecheck", "npm test", "npm run test:system", "npm run synth"].map((c) =>
    runs("test").indexOf(c),
  );
  expect(order.every((i) => i >= 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
});

test("terraform fmt -check, init and validate on the synthesized stacks", () => {
  expect(runs("test")).toMatch(/terraform fmt -check -recursive cdktf\.out\/hcl\/stacks/);
  expect(runs("test")).toMatch(/init -backend=false/);
  expect(runs("test")).toMatch(/terraform -chdir="\$stack" validate/);
});

test("the offline checks get a provider mirror built for the pinned provider", () => {
  expect(runs("test")).toMatch(/providers mirror/);
  expect(wf.env.AWS_PROVIDER_VERSION).toBe("5.100.0");
  expect(wf.env.TERRAFORM_VERSION).toBe("1.11.4");
});

test("plan runs on pull requests with an OIDC role, and is skipped with a notice without one", () => {
  expect(wf.jobs.plan.if).toBe("github.event_name == 'pull_request'");
  expect(wf.jobs.plan.permissions["id-token"]).toBe("write");
  const steps = wf.jobs.plan.steps as { if?: string; run?: string; uses?: string; with?: Record<string, string> }[];
  expect(steps[0]).toMatchObject({ if: "env.AWS_PLAN_ROLE_ARN == ''" });
  expect(steps[0].run).toMatch(/::notice title=terraform plan skipped::/);
  expect(steps.slice(1).every((s) => s.if === "env.AWS_PLAN_ROLE_ARN != ''")).toBe(true);
  expect(steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"))?.with?.["role-to-assume"]).toBe(
    "${{ env.AWS_PLAN_ROLE_ARN }}",
  );
  expect(runs("plan")).toMatch(/npm ci && npm run synth/);
  expect(runs("plan")).toMatch(/terraform -chdir=cdktf\.out\/stacks\/cluster plan -input=false/);
});

test("one script installs the system tier's Debian tools; CI, .ci/run and npm run test:system run it", () => {
  const script = fs.readFileSync(path.join(ROOT, "scripts/system-tools.sh"), "utf8");
  expect(script).toMatch(/^for tool in shellcheck cloud-init yamllint systemd-analyze:systemd openssl; do$/m);
  for (const tool of Object.keys(TOOLS).filter((t) => t !== "bash")) expect(script).toContain(` ${tool}`);
  expect(runs("test")).toContain("bash scripts/system-tools.sh");
  expect(fs.readFileSync(path.join(ROOT, ".ci/run"), "utf8").split("\n")).toContain("bash scripts/system-tools.sh");
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  expect([pkg.scripts["pretest:system"], pkg.scripts["pretest:all"]]).toEqual([
    "bash scripts/system-tools.sh",
    "bash scripts/system-tools.sh",
  ]);
});

test(".ci/run runs both tiers, the README's npm test first", () => {
  const ci = fs.readFileSync(path.join(ROOT, ".ci/run"), "utf8").split("\n");
  expect(ci.indexOf("npm test")).toBeGreaterThan(ci.indexOf("npm ci --no-audit --no-fund"));
  expect(ci.indexOf("npm run test:system")).toBeGreaterThan(ci.indexOf("npm test"));
});
