import { Testing } from "cdktf";
// Registers toHaveResourceWithProperties & co.; the adapter import alone only adds types.
Testing.setupJest();
