// cdktf's jest matchers are registered by __tests__/helpers/synth.ts, in the files that synthesize:
// loading cdktf costs about 0.6 s per test file, which files without a stack need not pay.

/**
 * cdktf records a creation stack for every token (cdktf/lib/tokens/private/stack-trace.js captures
 * into a plain `{ stack }` object, with no frame limit). Under jest every such capture is formatted
 * through source maps, which made one synth about three times slower. Captures into plain objects
 * get the unmapped frames; errors keep jest's source-mapped stack traces.
 */
const formatWithSourceMaps = Error.prepareStackTrace;
// The header line stays: cdktf's and constructs' captureStackTrace drop the first line as V8's "Error" header.
const unmapped = (header: string, frames: NodeJS.CallSite[]) =>
  [header, ...frames.map((f) => `    at ${f}`)].join("\n");
Error.prepareStackTrace = (target: Error, frames: NodeJS.CallSite[]) =>
  target instanceof Error
    ? formatWithSourceMaps
      ? formatWithSourceMaps(target, frames)
      : unmapped(`${target}`, frames)
    : unmapped("Error", frames);
