/**
 * cdktf's jest matchers (toHaveResourceWithProperties, ...), for the test files that assert with
 * them. Loading cdktf costs about 0.3 s per test file, which files that only read a synthesized
 * stack need not pay.
 */
import { Testing } from "cdktf";
// The adapter import adds the matchers' types; setupJest() registers them.
import "cdktf/lib/testing/adapters/jest";
Testing.setupJest();
