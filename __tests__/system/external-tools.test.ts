/**
 * What the nodes run, checked by the tools the nodes use: cloud-init's own schema check of every
 * user data, and systemd's own parser for the OnCalendar values the configuration accepts.
 */
import { NodeRole, renderUserData } from "../../src/bootstrap";
import { onCalendarProblem } from "../../src/validation/systemd-calendar";
import { ETCD_BACKUP, settingsFor } from "../harness/node";
import { run, runOnText } from "../harness/tools";
import { ONCALENDAR_ACCEPTED } from "../fixtures/on-calendar";

const ROLES: NodeRole[] = ["control-plane", "worker"];
/** Every role, plain and with etcd backups configured (the largest user data there is). */
const CASES: [string, string][] = ROLES.flatMap((r) => [
  [r, renderUserData(settingsFor(r)).cloudConfig],
  [`${r} with etcdBackup`, renderUserData(settingsFor(r, { etcdBackup: ETCD_BACKUP })).cloudConfig],
]);

describe("cloud-init accepts the user data", () => {
  test.each(CASES)("%s passes cloud-init schema", (name, cloudConfig) => {
    const r = runOnText("cloud-init", `${name.replace(/ /g, "-")}.yaml`, cloudConfig, (file) => ["schema", "--config-file", file]);
    expect({ status: r.status, out: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, out: `Valid cloud-config: ${r.file}` });
  });
});

describe("OnCalendar values the configuration accepts are ones systemd parses (systemd-analyze calendar)", () => {
  test.each(ONCALENDAR_ACCEPTED)("%s", (value) => {
    expect(onCalendarProblem(value)).toBeUndefined();
    const r = run("systemd-analyze", ["calendar", value]);
    expect({ status: r.status, err: r.stderr.trim() }).toEqual({ status: 0, err: "" });
  });
  test("what the configuration refuses, systemd refuses too, or never fires", () => {
    const r = run("systemd-analyze", ["calendar", "every hour"]);
    expect(r.status).not.toBe(0);
  });
});
