import { Testing } from "cdktf";
// The adapter import adds the matchers' types; setupJest() registers them at run time.
import "cdktf/lib/testing/adapters/jest";
Testing.setupJest();
