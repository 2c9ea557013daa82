/**
 * Mutation runs (stryker.config.mjs) run a mutant only in the test files that executed it in
 * Stryker's initial run: jest/file-coverage.js keeps that record, jest/fast-first-sequencer.js
 * narrows and orders the files. The counters read are the ones Stryker's instrumenter raises
 * (@stryker-mutator/instrumenter, dist/src/util/syntax-helpers.js: `cov.static` while no test runs,
 * `cov.perTest[currentTestId]` inside a test), and the active mutant is the environment variable
 * Stryker's jest runner sets for a mutant run (@stryker-mutator/api, INSTRUMENTER_CONSTANTS).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as FileCoverage from "../jest/file-coverage";

/* eslint-disable @typescript-eslint/no-require-imports */
const fresh = () => {
  let m: typeof FileCoverage | undefined;
  jest.isolateModules(() => (m = require("../jest/file-coverage")));
  return m!;
};
/* eslint-enable @typescript-eslint/no-require-imports */

test("the active mutant is read from the variable Stryker's jest runner sets", () => {
  expect(FileCoverage.ACTIVE_MUTANT).toBe("__STRYKER_ACTIVE_MUTANT__");
});

describe("coverage counters", () => {
  test("a mutant's count adds its static count and its count in every test", () => {
    const counts = FileCoverage.totals({
      static: { "1": 2, "2": 1 },
      perTest: { a: { "1": 3 }, b: { "3": 1, "1": 1 } },
    });
    expect([...counts].sort()).toEqual([
      ["1", 6],
      ["2", 1],
      ["3", 1],
    ]);
  });
  test("no counters yet (nothing instrumented ran) count nothing", () => {
    expect(FileCoverage.totals(undefined).size).toBe(0);
    expect(FileCoverage.totals({}).size).toBe(0);
  });
  test("a file executed the mutants whose count rose while it ran, new or not", () => {
    const before = new Map([
      ["1", 2],
      ["2", 5],
    ]);
    const after = new Map([
      ["1", 2],
      ["2", 6],
      ["3", 1],
    ]);
    expect(FileCoverage.raised(before, after)).toEqual(["2", "3"]);
  });
});

describe("the record of the initial run", () => {
  const root = () => fs.mkdtempSync(path.join(os.tmpdir(), "file-coverage-"));
  test("lists, for a mutant, every test file that executed it, by path in the project", () => {
    const dir = root();
    const m = fresh();
    m.record(dir, path.join(dir, "__tests__/a.test.ts"), ["1", "2"]);
    m.record(dir, path.join(dir, "__tests__/b.test.ts"), ["2"]);
    expect(m.filesExecuting(dir, "2")).toEqual(["__tests__/a.test.ts", "__tests__/b.test.ts"]);
    expect(m.filesExecuting(dir, "1")).toEqual(["__tests__/a.test.ts"]);
    expect(m.filesExecuting(dir, "3")).toBeUndefined();
    fs.rmSync(dir, { recursive: true });
  });
  test("no record (a run without the initial run's files) knows no mutant", () => {
    const dir = root();
    expect(fresh().filesExecuting(dir, "1")).toBeUndefined();
    fs.rmSync(dir, { recursive: true });
  });
});

describe("the order of a mutation run's test files", () => {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const sequencer = () => {
    let S: any;
    jest.isolateModules(() => (S = require("../jest/fast-first-sequencer")));
    return new S();
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sequencer-"));
  const files = { "golden.test.ts": 300, "spec-document.test.ts": 200, "small.test.ts": 10, "big.test.ts": 100 };
  const tests = Object.entries(files).map(([name, size]) => {
    fs.mkdirSync(path.join(dir, "__tests__"), { recursive: true });
    fs.writeFileSync(path.join(dir, "__tests__", name), "x".repeat(size));
    return { path: path.join(dir, "__tests__", name), context: { config: { rootDir: dir } } };
  });
  const names = (sorted: { path: string }[]) => sorted.map((t) => path.basename(t.path));
  const withMutant = (id: string | undefined, run: () => void) => {
    const was = process.env.__STRYKER_ACTIVE_MUTANT__;
    if (id === undefined) delete process.env.__STRYKER_ACTIVE_MUTANT__;
    else process.env.__STRYKER_ACTIVE_MUTANT__ = id;
    try {
      run();
    } finally {
      if (was === undefined) delete process.env.__STRYKER_ACTIVE_MUTANT__;
      else process.env.__STRYKER_ACTIVE_MUTANT__ = was;
    }
  };
  afterAll(() => fs.rmSync(dir, { recursive: true }));

  test("without a record: golden, spec document, then the rest smallest first", () => {
    withMutant("7", () =>
      expect(names(sequencer().sort(tests))).toEqual([
        "golden.test.ts",
        "spec-document.test.ts",
        "small.test.ts",
        "big.test.ts",
      ]),
    );
  });
  describe("with the initial run's record", () => {
    beforeAll(() =>
      fs.writeFileSync(
        path.join(dir, ".stryker-file-coverage.json"),
        JSON.stringify({
          "__tests__/big.test.ts": ["7", "8"],
          "__tests__/golden.test.ts": ["7"],
          "__tests__/other.test.ts": ["9"],
        }),
      ),
    );
    test("a mutant runs only the files that executed it, in the same order", () => {
      withMutant("7", () => expect(names(sequencer().sort(tests))).toEqual(["golden.test.ts", "big.test.ts"]));
      withMutant("8", () => expect(names(sequencer().sort(tests))).toEqual(["big.test.ts"]));
    });
    test("a mutant the record does not know, or whose files are not in this run, runs every file", () => {
      withMutant("10", () => expect(sequencer().sort(tests)).toHaveLength(4));
      withMutant("9", () => expect(sequencer().sort(tests)).toHaveLength(4));
    });
    test("the files that failed for this process's latest mutants go first, most recent first", () => {
      const killers = Symbol.for("seed-k8s-infra.jest.recentKillers");
      const was = (process as any)[killers];
      try {
        const m = fresh();
        m.killedBy(tests[3].path); // big
        m.killedBy(tests[1].path); // spec document
        m.killedBy(tests[3].path);
        expect(m.recentKillers()).toEqual([tests[3].path, tests[1].path]);
        withMutant("10", () =>
          expect(names(sequencer().sort(tests))).toEqual([
            "big.test.ts",
            "spec-document.test.ts",
            "golden.test.ts",
            "small.test.ts",
          ]),
        );
        for (let i = 0; i < 10; i++) m.killedBy(`/f${i}`);
        expect(m.recentKillers()).toEqual(["/f9", "/f8", "/f7", "/f6", "/f5", "/f4", "/f3", "/f2"]);
      } finally {
        (process as any)[killers] = was;
      }
    });
    test("the initial run (no mutant active) runs every file", () => {
      withMutant(undefined, () => expect(sequencer().sort(tests)).toHaveLength(4));
    });
  });
});

describe("the start of each mutation run (jest/bail-reset.js)", () => {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const reset = require("../jest/bail-reset") as ((g: unknown, p: { rootDir: string }) => Promise<void>) & {
    strykerSynthFolder: (rootDir: string) => string;
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  test("empties this process's stacks of its last mutant, not another's; forgets a failed file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bail-reset-"));
    const mine = reset.strykerSynthFolder(dir);
    const other = path.join(dir, ".stryker-synth", String(process.pid + 1));
    expect(mine).toBe(path.join(dir, ".stryker-synth", String(process.pid)));
    for (const folder of [mine, other]) {
      fs.mkdirSync(path.join(folder, "12"), { recursive: true });
      fs.writeFileSync(path.join(folder, "12", "stack.json"), "{}");
    }
    const failed = Symbol.for("seed-k8s-infra.jest.runFailed");
    (process as any)[failed] = true;
    await reset(undefined, { rootDir: dir });
    expect(fs.existsSync(mine)).toBe(false);
    expect(fs.existsSync(path.join(other, "12", "stack.json"))).toBe(true);
    expect((process as any)[failed]).toBe(false);
    await reset(undefined, { rootDir: dir }); // nothing to remove
    fs.rmSync(dir, { recursive: true });
  });
});

describe("the initial run's record, as the test runner makes it (jest/bail-jest-circus-runner.js)", () => {
  /** The runner around a stand-in for jest-circus that raises the counters `hits` and fails when told. */
  const runner = (hits: Record<string, number>, fail = false) => {
    let run: any;
    jest.isolateModules(() => {
      jest.doMock("jest-circus/runner", () => async (_g: unknown, _c: unknown, env: any) => {
        const coverage = env.global.__stryker__ && (env.global.__stryker__.mutantCoverage ??= { static: {} });
        for (const [id, n] of Object.entries(hits)) coverage.static[id] = (coverage.static[id] ?? 0) + n;
        return { numFailingTests: fail ? 1 : 0, testExecError: undefined };
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      run = require("../jest/bail-jest-circus-runner");
    });
    return run;
  };
  const env = () => ({ global: { __stryker__: { mutantCoverage: { static: { "1": 4 }, perTest: {} } } } });
  const failed = Symbol.for("seed-k8s-infra.jest.runFailed");
  let dir: string;
  let was: Record<PropertyKey, unknown>;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "runner-"));
    was = { failed: (process as any)[failed], mutant: process.env.__STRYKER_ACTIVE_MUTANT__ };
    (process as any)[failed] = false;
  });
  afterEach(() => {
    (process as any)[failed] = was.failed;
    if (was.mutant === undefined) delete process.env.__STRYKER_ACTIVE_MUTANT__;
    else process.env.__STRYKER_ACTIVE_MUTANT__ = was.mutant as string;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const record = () => JSON.parse(fs.readFileSync(path.join(dir, ".stryker-file-coverage.json"), "utf8"));

  test("with no mutant active, a file's record is the mutants whose counters it raised", async () => {
    delete process.env.__STRYKER_ACTIVE_MUTANT__;
    await runner({ "1": 1, "2": 3 })({}, { rootDir: dir }, env(), {}, path.join(dir, "__tests__/a.test.ts"));
    expect(record()).toEqual({ "__tests__/a.test.ts": ["1", "2"] });
  });
  test("with a mutant active, nothing is recorded", async () => {
    process.env.__STRYKER_ACTIVE_MUTANT__ = "2";
    await runner({ "2": 1 })({}, { rootDir: dir }, env(), {}, path.join(dir, "__tests__/a.test.ts"));
    expect(fs.existsSync(path.join(dir, ".stryker-file-coverage.json"))).toBe(false);
  });
  test("outside Stryker (no __stryker__ global), nothing is recorded", async () => {
    delete process.env.__STRYKER_ACTIVE_MUTANT__;
    await runner({})({}, { rootDir: dir }, { global: {} }, {}, path.join(dir, "__tests__/a.test.ts"));
    expect(fs.existsSync(path.join(dir, ".stryker-file-coverage.json"))).toBe(false);
  });
  test("a failing file marks the run failed and goes first for the next mutant; the next file is not run", async () => {
    process.env.__STRYKER_ACTIVE_MUTANT__ = "2";
    const file = path.join(dir, "__tests__/a.test.ts");
    await runner({}, true)({}, { rootDir: dir }, env(), {}, file);
    expect((process as any)[failed]).toBe(true);
    expect(fresh().recentKillers()[0]).toBe(file);
    const next = await runner({})({}, { rootDir: dir }, env(), {}, path.join(dir, "__tests__/b.test.ts"));
    expect(next.testResults.map((t: { status: string }) => t.status)).toEqual(["pending"]);
  });
  test("the start of the initial run removes an earlier record; a mutant run keeps it", async () => {
    /* eslint-disable-next-line @typescript-eslint/no-require-imports */
    const reset = require("../jest/bail-reset") as (g: unknown, p: { rootDir: string }) => Promise<void>;
    const file = path.join(dir, ".stryker-file-coverage.json");
    fs.writeFileSync(file, "{}");
    process.env.__STRYKER_ACTIVE_MUTANT__ = "2";
    await reset(undefined, { rootDir: dir });
    expect(fs.existsSync(file)).toBe(true);
    delete process.env.__STRYKER_ACTIVE_MUTANT__;
    await reset(undefined, { rootDir: dir });
    expect(fs.existsSync(file)).toBe(false);
  });
});
