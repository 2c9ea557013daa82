/**
 * Node bootstrap: cloud-init user data for kubeadm nodes on Ubuntu 24.04, and the scripts it
 * carries. The constructs call renderUserData once per role; the tests lint and run the scripts.
 */
export type { NodeRole, BootstrapSettings, EtcdBackupSettings, ClusterBootstrapSettings } from "./settings";
export { NODE_ROLES } from "./settings";
export { ssmParameterNames } from "./node-files";
export type { RenderedUserData } from "./user-data";
export { clusterBundle, renderUserData } from "./user-data";
export { bootListingMarkdown } from "./boot-listing";
export { BOOTSTRAP_SCRIPTS } from "./scripts";
export { ADDON_VERSIONS, DEFAULT_KUBERNETES_MINOR, SUPPORTED_KUBERNETES_MINORS } from "./versions";
