/** YAML as the node files and the add-on bundle write it: no line folding, literal blocks. */
import { stringify } from "yaml";

const YAML_TEXT = { lineWidth: 0, blockQuote: "literal" } as const;
/** Templates quote every string so that a filled-in value can never change type. */
const YAML_TEMPLATE = { ...YAML_TEXT, defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" } as const;

/** YAML documents joined by ---; templates quote every string. Node files and the add-on bundle alike. */
export function yamlDocs(docs: readonly object[], template = false): string {
  return docs.map((d) => stringify(d, template ? YAML_TEMPLATE : YAML_TEXT)).join("---\n");
}
