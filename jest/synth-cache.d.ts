/** The environment variable naming the run's folder of synthesized stacks (jest/synth-cache.js). */
export declare const ENV: string;
export declare function setup(): Promise<void>;
export declare function teardown(): Promise<void>;
