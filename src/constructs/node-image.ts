import { Construct } from "constructs";
import { DataAwsAmi } from "@cdktf/provider-aws/lib/data-aws-ami";
import { CANONICAL_OWNER, ubuntuImagePattern } from "../aws/instances";

/**
 * The node image: the current Ubuntu LTS looked up at plan time, one lookup per architecture in
 * use, or the configured `amiId` for every role.
 */
export class NodeImage extends Construct {
  private readonly lookups = new Map<string, DataAwsAmi>();

  constructor(
    scope: Construct,
    id: string,
    private readonly amiId?: string,
  ) {
    super(scope, id);
  }

  imageFor(arch: "arm64" | "x86_64"): string {
    if (this.amiId) return this.amiId;
    let ami = this.lookups.get(arch);
    if (!ami) {
      ami = new DataAwsAmi(this, `ubuntu-${arch}`, {
        mostRecent: true,
        owners: [CANONICAL_OWNER],
        filter: [
          { name: "name", values: [ubuntuImagePattern(arch)] },
          { name: "architecture", values: [arch] },
          { name: "virtualization-type", values: ["hvm"] },
          { name: "root-device-type", values: ["ebs"] },
        ],
      });
      ami.overrideLogicalId(`ubuntu_lts_${arch}`);
      this.lookups.set(arch, ami);
    }
    return ami.id;
  }
}
