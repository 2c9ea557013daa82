/**
 * jest/progress-reporter.js, the system tier's progress lines: a line per file started, and while
 * files run silently for `every` ms, a line naming each file's current test and how long it has run;
 * never while nothing runs or something was printed within `every`.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ProgressReporter = require("../jest/progress-reporter");

function reporter(every = 10000) {
  const lines: string[] = [];
  let now = 1_000_000;
  const r = new ProgressReporter({ rootDir: "/repo" }, { every, write: (l: string) => lines.push(l), now: () => now });
  return { r, lines, advance: (ms: number) => (now += ms) };
}
const file = (name: string) => ({ path: `/repo/__tests__/system/${name}` });

afterEach(() => jest.useRealTimers());

test("a line per file started, named from the repository's root", () => {
  const { r, lines } = reporter();
  r.onTestFileStart(file("terraform-plan.test.ts"));
  r.onTestFileStart(file("cli.test.ts"));
  expect(lines).toEqual(["RUNS __tests__/system/terraform-plan.test.ts\n", "RUNS __tests__/system/cli.test.ts\n"]);
});

test("after `every` ms with nothing printed: the files running and for how long; then again after `every`", () => {
  const { r, lines, advance } = reporter();
  r.onTestFileStart(file("terraform-plan.test.ts"));
  advance(4000);
  r.onTestFileStart(file("cli.test.ts"));
  advance(9999);
  r.tick();
  expect(lines).toHaveLength(2);
  advance(1);
  r.tick();
  expect(lines[2]).toBe(
    "still running: __tests__/system/terraform-plan.test.ts (14 s), __tests__/system/cli.test.ts (10 s)\n",
  );
  advance(5000);
  r.tick();
  expect(lines).toHaveLength(3);
  advance(5000);
  r.tick();
  expect(lines[3]).toBe(
    "still running: __tests__/system/terraform-plan.test.ts (24 s), __tests__/system/cli.test.ts (20 s)\n",
  );
});

test("once a file's test starts: the test's full name, and the time since it started", () => {
  const { r, lines, advance } = reporter();
  r.onTestFileStart(file("terraform-plan.test.ts"));
  advance(3000);
  r.onTestCaseStart(file("terraform-plan.test.ts"), { fullName: "cluster stack: init, validate and plan" });
  advance(12000);
  r.tick();
  expect(lines[1]).toBe(
    "still running: __tests__/system/terraform-plan.test.ts › cluster stack: init, validate and plan (12 s)\n",
  );
  r.onTestFileResult(file("terraform-plan.test.ts"));
  r.onTestFileStart(file("terraform-plan.test.ts"));
  advance(10000);
  r.tick();
  expect(lines[3]).toBe("still running: __tests__/system/terraform-plan.test.ts (10 s)\n");
});

test("a file's result (which jest's own reporter prints) restarts the wait; nothing when no file runs", () => {
  const { r, lines, advance } = reporter();
  r.onTestFileStart(file("a.test.ts"));
  r.onTestFileStart(file("b.test.ts"));
  advance(8000);
  r.onTestFileResult(file("a.test.ts"));
  advance(8000);
  r.tick();
  expect(lines).toHaveLength(2);
  advance(2000);
  r.tick();
  expect(lines[2]).toBe("still running: __tests__/system/b.test.ts (18 s)\n");
  r.onTestFileResult(file("b.test.ts"));
  advance(60000);
  r.tick();
  expect(lines).toHaveLength(3);
});

test("the run's timer ticks every second and stops with the run", () => {
  jest.useFakeTimers();
  const { r, lines, advance } = reporter();
  r.onRunStart();
  r.onTestFileStart(file("a.test.ts"));
  advance(10000);
  jest.advanceTimersByTime(1000);
  expect(lines).toEqual(["RUNS __tests__/system/a.test.ts\n", "still running: __tests__/system/a.test.ts (10 s)\n"]);
  r.onRunComplete();
  advance(10000);
  jest.advanceTimersByTime(5000);
  expect(lines).toHaveLength(2);
  expect(r.getLastError()).toBeUndefined();
});
