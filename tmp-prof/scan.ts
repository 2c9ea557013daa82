import { stringify } from "yaml";
import { resolveConfig } from "../src/config";
import { buildApp } from "../src/app";
import * as fs from "fs";
const dir = fs.mkdtempSync("/tmp/scan-");
const built = buildApp(resolveConfig({ workers: { spot: undefined } }), dir, false) as any;
const bundle = built.cluster.bundle ?? built.cluster.addonBundle;
console.log(Object.keys(built.cluster).join(","));
