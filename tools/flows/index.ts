/**
 * Offline network flow analysis over synthesized Terraform JSON (`npm run flows`, the flow tests):
 * who can reach whom, on which protocol and port. A developer tool: synth never loads it.
 *
 *   read.ts      the Terraform JSON, read into the network model (subnets, groups, routes, ACLs)
 *   model.ts     the model: tiers, ports, verdicts, security-group rules, route tables, ACLs
 *   ranges.ts    ports and addresses as integer ranges, and their text
 *   layers.ts    what routes, security groups and network ACLs let through between two address ranges
 *   evaluate.ts  who can reach whom between tiers, the internet and endpoints: verdicts and reasons
 *   render.ts    the verdicts as a text table
 */
export { analyzeFlows, analyzeFlowsWithNotes } from "./evaluate";
export type { FlowModel, FlowModelWithNotes, FlowVerdict, Port, Protocol } from "./model";
export { INTERNET, SPEC_PORTS } from "./model";
export { formatMatrix, portLabel } from "./render";
