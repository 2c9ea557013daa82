/**
 * A vendored manifest's YAML documents as objects, for the patches to change. Parsed once per text
 * (per process; per test file under jest): the same manifest is read for every stack a process
 * synthesizes (the golden configurations, the tests), and each caller gets its own copy to change.
 */
import { parseAllDocuments } from "yaml";
import { KubeObject } from "./patches";

/** Parsed manifests as JSON text: manifests hold only JSON values, and a copy is JSON.parse of it. */
const parsed = new Map<string, string>();

/** The objects of a multi-document YAML text; `where` names the file in an error. Empty documents are skipped. */
export function parseObjects(text: string, where: string): KubeObject[] {
  let json = parsed.get(text);
  if (json === undefined) {
    const objects = parseAllDocuments(text).flatMap((d, i) => {
      if (d.errors.length) throw new Error(`${where}: YAML document ${i + 1}: ${d.errors[0].message}`);
      const o = d.toJS() as KubeObject | null;
      return o ? [o] : [];
    });
    json = JSON.stringify(objects);
    parsed.set(text, json);
  }
  return JSON.parse(json) as KubeObject[];
}
