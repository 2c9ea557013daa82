/** Which test files execute which mutant, for mutation runs (jest/file-coverage.js). */
type Coverage = { static?: Record<string, number>; perTest?: Record<string, Record<string, number>> } | undefined;
export declare const ACTIVE_MUTANT: string;
/** The record's file name in the project (Stryker's sandbox). */
export declare const RECORD: string;
export declare function totals(coverage: Coverage): Map<string, number>;
export declare function raised(before: Map<string, number>, after: Map<string, number>): string[];
export declare function record(rootDir: string, testPath: string, mutants: string[]): void;
export declare function filesExecuting(rootDir: string, mutant: string): string[] | undefined;
export declare function recentKillers(): string[];
export declare function killedBy(testPath: string): void;
