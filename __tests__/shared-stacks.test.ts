/**
 * Where a run's test files share synthesized stacks (__tests__/helpers/synth.ts): apart from the
 * mutation-run tests, which mock a module (conventions.test.ts keeps such files away from the helper).
 */
import * as path from "path";
import { ENV as SYNTH_CACHE_ENV } from "../jest/synth-cache";
import { sharedFolder } from "./helpers/synth";

describe("where a run's test files share synthesized stacks (__tests__/helpers/synth.ts)", () => {
  const ns = "__strykerGlobalNamespace__";
  afterEach(() => {
    delete (globalThis as any)[ns];
  });
  test("the unit tier: its run's folder; Stryker's initial run: none; a mutant run: its process's, by mutant", () => {
    const was = process.env.__STRYKER_ACTIVE_MUTANT__;
    try {
      expect(sharedFolder()).toBe(process.env[SYNTH_CACHE_ENV]);
      (globalThis as any)[ns] = "__stryker__";
      delete process.env.__STRYKER_ACTIVE_MUTANT__;
      expect(sharedFolder()).toBeUndefined();
      process.env.__STRYKER_ACTIVE_MUTANT__ = "12";
      expect(sharedFolder()).toBe(
        path.join(path.resolve(__dirname, ".."), ".stryker-synth", String(process.pid), "12"),
      );
    } finally {
      if (was === undefined) delete process.env.__STRYKER_ACTIVE_MUTANT__;
      else process.env.__STRYKER_ACTIVE_MUTANT__ = was;
    }
  });
});
