/**
 * The boot listing: every file a node of one role receives, as a table an ops team reads without
 * decoding base64 (path on the node, mode, whether it comes in the user data or from the cluster
 * bundle, and where it comes from in the repository). Synth writes one per role next to the spec
 * trace: cdktf.out/stacks/cluster/boot-<role>.md.
 */
import { cell } from "../markdown";
import { NodeRole } from "./settings";
import { SCRIPT_PATHS } from "./scripts";
import { RenderedUserData, USER_DATA_BUDGET } from "./user-data";

/** `node` names the nodes of the role (Terraform names, as in the size error). */
export function bootListingMarkdown(role: NodeRole, node: string, rendered: RenderedUserData): string {
  const inUserData = rendered.listing.filter((f) => f.delivery === "user data").length;
  const fromBundle = rendered.listing.length - inUserData;
  const bundle = rendered.bundleDigest ? `addons/${rendered.bundleDigest}/node/` : undefined;
  const size = `${rendered.gzipBytes} bytes after gzip, of the ${USER_DATA_BUDGET}-byte budget`;
  const userData = `${inUserData} in the user data (${size})`;
  const summary = bundle
    ? `${rendered.listing.length} files: ${userData}, ${fromBundle} from the cluster bundle in the assets bucket ` +
      `(\`${bundle}<path>\`, checked against its SHA256SUMS). cloud-init writes the user data's files, then runs ` +
      `\`${SCRIPT_PATHS.bootstrap}\` once, which installs the bundle's files before it uses them.`
    : `${rendered.listing.length} files, all ${userData}. ` +
      `cloud-init writes them, then runs \`${SCRIPT_PATHS.bootstrap}\` once.`;
  return [
    `# What a ${role} node receives at boot`,
    "",
    `Nodes: ${node}. Written by \`npm run synth\` from the repository's \`src/bootstrap/\` (see docs/boot.md).`,
    "",
    summary,
    "",
    "| path on the node | mode | comes in | from (in the repository) |",
    "|---|---|---|---|",
    ...rendered.listing.map((f) => {
      const [file, name] = f.source.split(" ");
      const from = name ? `\`${cell(file)}\` ${cell(name)}` : `\`${cell(file)}\``;
      return `| \`${cell(f.path)}\` | ${f.permissions} | ${f.delivery} | ${from} |`;
    }),
    "",
  ].join("\n");
}
