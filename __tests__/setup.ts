// cdktf's jest matchers are registered by __tests__/helpers/synth.ts, in the files that synthesize:
// loading cdktf costs about 0.6 s per test file, which files without a stack need not pay.

/**
 * cdktf records a creation stack for every token it makes (cdktf/lib/tokens/private/stack-trace.js
 * captures into a plain `{ stack }` object with no frame limit), to print in an error about that
 * token. Under jest each capture was formatted through source maps: a quarter of every synth's
 * time. In tests, captures into plain objects record no frames (cdktf then keeps an empty creation
 * stack); errors keep jest's source-mapped stack traces.
 */
const captureInto = Error.captureStackTrace;
Error.captureStackTrace = (target: object, below?: (...args: never[]) => unknown) => {
  if (target instanceof Error) captureInto(target, below);
  else (target as { stack?: string }).stack = "";
};
