/**
 * A vendored manifest's YAML documents as objects, for the patches to change. Parsed once per text
 * and process: the same manifest is read for every stack a process synthesizes (the golden
 * configurations, the tests), and each caller gets its own copy to change.
 */
import { parseAllDocuments } from "yaml";
import { KubeObject } from "./patches";

const parsed = new Map<string, readonly KubeObject[]>();

/** The objects of a multi-document YAML text; `where` names the file in an error. Empty documents are skipped. */
export function parseObjects(text: string, where: string): KubeObject[] {
  let objects = parsed.get(text);
  if (!objects) {
    objects = parseAllDocuments(text).flatMap((d, i) => {
      if (d.errors.length) throw new Error(`${where}: YAML document ${i + 1}: ${d.errors[0].message}`);
      const o = d.toJS() as KubeObject | null;
      return o ? [o] : [];
    });
    parsed.set(text, objects);
  }
  return structuredClone(objects) as KubeObject[];
}
