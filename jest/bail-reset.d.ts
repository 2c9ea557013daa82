/** The folder of this process's current mutant run's stacks (jest/bail-reset.js). */
export declare function strykerSynthFolder(rootDir: string): string;
