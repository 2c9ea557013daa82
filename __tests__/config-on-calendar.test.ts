/** The etcd backup schedule (etcdBackup.onCalendar): the accepted form is one systemd parses and fires. */
import { onCalendarProblem } from "../src/validation/systemd-calendar";
import { renderUserData } from "../src/bootstrap";
import { ETCD_BACKUP, settingsFor } from "./harness/node";
import { ONCALENDAR_ACCEPTED } from "./fixtures/on-calendar";

describe("OnCalendar values: the accepted form is one systemd parses", () => {
  const accepted = ONCALENDAR_ACCEPTED; // each checked with systemd-analyze calendar (system/external-tools.test.ts)
  // Refused: not systemd's syntax, or loaded by systemd and never fired (a fixed or past year, a day no month has).
  const refused = [
    "every hour",
    "*-*-* 24:00",
    "*-*-*",
    "daily ",
    "Mon *-13-* 00:00",
    "*-*-* 00:00 UTC",
    "Monday *-*-* 00:00",
    "Fri..Mon *-*-* 01:00",
    "*-02-30 00:00",
    "2025-*-* 00:00",
    "2027-01-01 00:00",
  ];
  test.each(accepted)("%s: accepted", (value) => {
    expect(onCalendarProblem(value)).toBeUndefined();
  });
  test.each(refused)("%s: refused here", (value) =>
    expect(onCalendarProblem(value)).toMatch(/is not a systemd OnCalendar value of the accepted form/),
  );
  test("the bootstrap refuses what the configuration refuses, with the same reason", () => {
    expect(() =>
      renderUserData(settingsFor("control-plane", { etcdBackup: { ...ETCD_BACKUP, onCalendar: "every hour" } })),
    ).toThrow(`bootstrap: etcdBackup.onCalendar = "every hour" ${onCalendarProblem("every hour")}`);
  });
});
