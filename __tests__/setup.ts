// cdktf's jest matchers are registered by __tests__/helpers/cdktf-matchers.ts, in the files that
// assert with them: loading cdktf costs about 0.3 s per test file, which other files need not pay.

/**
 * cdktf records a creation stack for every token it makes (cdktf/lib/tokens/private/stack-trace.js,
 * with no frame limit), only to print in an error about that token; under jest each capture was
 * formatted through source maps, a quarter of every synth's time. In tests its tokens get an empty
 * creation stack; every other stack trace, errors' included, is left as it is.
 */
jest.mock("cdktf/lib/tokens/private/stack-trace", () => ({ captureStackTrace: (): string[] => [] }));
