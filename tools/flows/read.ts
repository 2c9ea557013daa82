/**
 * The flow analysis's reader: the network a synthesized stack's Terraform JSON would build, as the
 * model of ./model.ts. It reads only the Terraform JSON, never our constructs, so it judges what
 * would be applied.
 *
 * - A tier is the set of subnets tagged `Tier=<id>`; `internet` is every address outside the VPCs.
 *   A gateway VPC endpoint is a place named by its address (`aws_vpc_endpoint.s3`), meaning the
 *   AWS service behind it; an interface endpoint too (its subnets and security groups).
 * - The members of a tier's subnet carry the groups tagged `Tier=<id>` plus those of the
 *   instances, autoscaling groups (through their launch template), load balancers and network
 *   interfaces placed in that subnet.
 * - The address space is cut at every CIDR the stack mentions: each member gets the elementary
 *   ranges it is made of, so the evaluation reasons about addresses exactly.
 * - What cannot be resolved offline (a CIDR or a group known only at apply time) becomes a note.
 */
import {
  TfJson,
  TfResource,
  asArray,
  byAddress,
  firstBlock,
  isTrue,
  label,
  refOf,
  resourcesOf,
} from "../../src/analysis/tf-json";
import { cidrRange } from "../../src/aws/cidr";
import {
  INTERNET,
  Member,
  NaclInfo,
  NaclRule,
  NatInfo,
  Network,
  Peer,
  Place,
  RouteTableInfo,
  SgRule,
  SubnetInfo,
} from "./model";
import { MAX_ADDRESS, Range, containsRange, coverageOf, num } from "./ranges";

/** The network the Terraform JSON describes (read with its variables at their defaults by the caller). */
export function readNetwork(tf: TfJson): Network {
  return new StackReader(tf);
}

/** Reads the stack once, in its constructor; what it read is the Network it implements. */
class StackReader implements Network {
  readonly tiers: string[];
  readonly notes: string[] = [];
  readonly places = new Map<string, Place>();
  readonly subnets = new Map<string, SubnetInfo>();
  readonly groupLabels = new Map<string, string>();
  readonly rulesByGroup = new Map<string, { ingress: SgRule[]; egress: SgRule[] }>();
  readonly routeTables = new Map<string, RouteTableInfo>();
  readonly subnetTable = new Map<string, string>();
  readonly mainTable = new Map<string, string>();
  readonly nats = new Map<string, NatInfo>();
  readonly subnetNacl = new Map<string, NaclInfo>();
  readonly defaultNacl = new Map<string, NaclInfo>();
  private readonly vpcCidrs: Range[] = [];
  private readonly boundaries = new Set<number>([0, MAX_ADDRESS + 1]);
  private nextMember = 0;

  constructor(private readonly tf: TfJson) {
    this.readNetwork();
    this.readSecurityGroups();
    this.readRoutes();
    this.readNacls();
    this.tiers = this.buildPlaces();
  }

  private note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  private cut(r: Range): Range {
    this.boundaries.add(r[0]);
    this.boundaries.add(r[1] + 1);
    return r;
  }

  /** A CIDR written literally or as `${aws_subnet.x.cidr_block}` / `${aws_vpc.x.cidr_block}`. */
  private cidr(value: unknown, where: string): Range | undefined {
    if (typeof value !== "string") return undefined;
    const literal = cidrRange(value);
    if (literal) return this.cut(literal);
    const ref = refOf(value);
    if (ref && ref.attr === "cidr_block") {
      const target = byAddress(this.tf, ref.address)?.body.cidr_block;
      const r = typeof target === "string" ? cidrRange(target) : undefined;
      if (r) return this.cut(r);
    }
    this.note(`${where}: cannot resolve CIDR ${value} offline; treated as matching nothing`);
    return undefined;
  }

  private subnetRef(value: unknown): string | undefined {
    const r = refOf(value);
    return r && r.type === "aws_subnet" ? r.address : undefined;
  }

  private groupKey(value: unknown, where: string): string | undefined {
    if (typeof value !== "string") return undefined;
    const r = refOf(value);
    if (r && (r.type === "aws_security_group" || r.type === "aws_default_security_group")) return r.address;
    if (/^sg-[0-9a-f]+$/.test(value)) return value;
    this.note(`${where}: cannot resolve security group ${value} offline; ignored`);
    return undefined;
  }

  private groupList(value: unknown, where: string): string[] {
    return asArray(value)
      .map((v) => this.groupKey(v, where))
      .filter((g): g is string => g !== undefined);
  }

  private readNetwork(): void {
    for (const vpc of resourcesOf(this.tf, "aws_vpc")) {
      const r = this.cidr(vpc.body.cidr_block, vpc.address);
      if (r) this.vpcCidrs.push(r);
    }
    for (const s of resourcesOf(this.tf, "aws_subnet")) {
      const tier = s.body.tags?.Tier;
      this.subnets.set(s.address, {
        address: s.address,
        name: s.name,
        label: s.body.tags?.Name ? `${s.name} (${s.body.tags.Name})` : s.name,
        tier: typeof tier === "string" ? tier : undefined,
        vpc: refOf(s.body.vpc_id)?.address ?? (typeof s.body.vpc_id === "string" ? s.body.vpc_id : undefined),
        cidr: this.cidr(s.body.cidr_block, s.address),
        mapPublic: isTrue(s.body.map_public_ip_on_launch),
      });
    }
  }

  private addRule(rule: SgRule): void {
    const entry = this.rulesByGroup.get(rule.group) ?? { ingress: [], egress: [] };
    entry[rule.direction].push(rule);
    this.rulesByGroup.set(rule.group, entry);
  }

  private prefixListPeers(value: unknown, where: string): Peer[] {
    const r = refOf(value);
    if (r && r.type === "aws_vpc_endpoint" && r.attr === "prefix_list_id")
      return [{ kind: "service", endpoint: r.address }];
    if (r && r.type === "aws_ec2_managed_prefix_list") {
      const entries = asArray(byAddress(this.tf, r.address)?.body.entry);
      return entries
        .map((e) => this.cidr((e as Record<string, unknown>)?.cidr, r.address))
        .filter((x): x is Range => x !== undefined)
        .map((range) => ({ kind: "cidr", range }) as Peer);
    }
    this.note(
      `${where}: prefix list ${String(value)} is neither a VPC endpoint's nor a managed prefix list in this stack; ` +
        "treated as matching nothing",
    );
    return [];
  }

  private readSecurityGroups(): void {
    for (const sg of resourcesOf(this.tf, "aws_security_group")) {
      this.groupLabels.set(sg.address, sg.body.tags?.Name ?? (sg.body.name as string | undefined) ?? sg.address);
      for (const direction of ["ingress", "egress"] as const)
        asArray(sg.body[direction]).forEach((raw, i) => {
          const b = raw as Record<string, unknown>;
          const address = `${sg.address}.${direction}[${i}]`;
          const peers: Peer[] = [
            ...asArray(b.cidr_blocks).flatMap((c) => this.cidrPeer(c, address)),
            ...this.groupList(b.security_groups, address).map((group) => ({ kind: "sg", group }) as Peer),
            ...(isTrue(b.self) ? [{ kind: "sg", group: sg.address } as Peer] : []),
            ...asArray(b.prefix_list_ids).flatMap((v) => this.prefixListPeers(v, address)),
          ];
          this.addRule({
            address,
            group: sg.address,
            direction,
            cov: coverageOf(b.protocol, b.from_port, b.to_port),
            peers,
          });
        });
    }
    for (const type of ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"]) {
      const direction = type.endsWith("ingress_rule") ? "ingress" : "egress";
      for (const r of resourcesOf(this.tf, type)) {
        const group = this.groupKey(r.body.security_group_id, r.address);
        if (!group) continue;
        const peers: Peer[] = [
          ...this.cidrPeer(r.body.cidr_ipv4, r.address),
          ...this.groupList(r.body.referenced_security_group_id, r.address).map(
            (g) => ({ kind: "sg", group: g }) as Peer,
          ),
          ...(r.body.prefix_list_id !== undefined ? this.prefixListPeers(r.body.prefix_list_id, r.address) : []),
        ];
        this.addRule({
          address: r.address,
          group,
          direction,
          cov: coverageOf(r.body.ip_protocol, r.body.from_port, r.body.to_port),
          peers,
        });
      }
    }
    for (const r of resourcesOf(this.tf, "aws_security_group_rule")) {
      const group = this.groupKey(r.body.security_group_id, r.address);
      if (!group || (r.body.type !== "ingress" && r.body.type !== "egress")) continue;
      const peers: Peer[] = [
        ...asArray(r.body.cidr_blocks).flatMap((c) => this.cidrPeer(c, r.address)),
        ...this.groupList(r.body.source_security_group_id, r.address).map((g) => ({ kind: "sg", group: g }) as Peer),
        ...(isTrue(r.body.self) ? [{ kind: "sg", group } as Peer] : []),
        ...asArray(r.body.prefix_list_ids).flatMap((v) => this.prefixListPeers(v, r.address)),
      ];
      this.addRule({
        address: r.address,
        group,
        direction: r.body.type,
        cov: coverageOf(r.body.protocol, r.body.from_port, r.body.to_port),
        peers,
      });
    }
  }

  private cidrPeer(value: unknown, where: string): Peer[] {
    if (value === undefined || value === null) return [];
    const range = this.cidr(value, where);
    return range ? [{ kind: "cidr", range }] : [];
  }

  private readRoutes(): void {
    const table = (r: TfResource): RouteTableInfo => {
      const info: RouteTableInfo = {
        address: r.address,
        label: r.body.tags?.Name ?? r.address,
        routes: [],
        endpoints: new Set(),
      };
      this.routeTables.set(r.address, info);
      for (const route of asArray(r.body.route)) this.addRoute(info, route as Record<string, unknown>, r.address);
      return info;
    };
    for (const r of resourcesOf(this.tf, "aws_route_table")) table(r);
    for (const r of resourcesOf(this.tf, "aws_default_route_table")) {
      table(r);
      const vpc = refOf(r.body.default_route_table_id);
      if (vpc?.type === "aws_vpc") this.mainTable.set(vpc.address, r.address);
    }
    for (const r of resourcesOf(this.tf, "aws_main_route_table_association")) {
      const vpc = refOf(r.body.vpc_id)?.address;
      const rt = refOf(r.body.route_table_id)?.address;
      if (vpc && rt) this.mainTable.set(vpc, rt);
    }
    for (const r of resourcesOf(this.tf, "aws_route")) {
      const rt = this.routeTables.get(refOf(r.body.route_table_id)?.address ?? "");
      if (rt) this.addRoute(rt, { ...r.body, cidr_block: r.body.destination_cidr_block }, r.address);
    }
    for (const r of resourcesOf(this.tf, "aws_route_table_association")) {
      const subnet = this.subnetRef(r.body.subnet_id);
      const rt = refOf(r.body.route_table_id)?.address;
      if (subnet && rt) this.subnetTable.set(subnet, rt);
    }
    for (const e of resourcesOf(this.tf, "aws_vpc_endpoint"))
      for (const rt of asArray(e.body.route_table_ids))
        this.routeTables.get(refOf(rt)?.address ?? "")?.endpoints.add(e.address);
    for (const r of resourcesOf(this.tf, "aws_vpc_endpoint_route_table_association")) {
      const e = refOf(r.body.vpc_endpoint_id)?.address;
      if (e) this.routeTables.get(refOf(r.body.route_table_id)?.address ?? "")?.endpoints.add(e);
    }
    for (const n of resourcesOf(this.tf, "aws_nat_gateway"))
      this.nats.set(n.address, {
        label: label(n),
        subnet: this.subnetRef(n.body.subnet_id),
        private: n.body.connectivity_type === "private",
      });
  }

  private addRoute(rt: RouteTableInfo, body: Record<string, unknown>, where: string): void {
    if (body.cidr_block === undefined) return; // IPv6 or prefix-list destinations: not modelled
    const range = this.cidr(body.cidr_block, where);
    if (!range) return;
    const gw = typeof body.gateway_id === "string" ? body.gateway_id : "";
    const nat = typeof body.nat_gateway_id === "string" ? body.nat_gateway_id : "";
    const gwRef = refOf(gw);
    const natRef = refOf(nat);
    if (gwRef?.type === "aws_internet_gateway" || /^igw-/.test(gw))
      rt.routes.push({ range, kind: "igw", target: gwRef?.address ?? gw });
    else if (natRef || /^nat-/.test(nat)) rt.routes.push({ range, kind: "nat", target: natRef?.address ?? nat });
    else if (gw === "local") return;
    else {
      const target = Object.entries(body).find(
        ([k, v]) => k.endsWith("_id") && k !== "route_table_id" && typeof v === "string" && v,
      );
      rt.routes.push({ range, kind: "other", target: target ? `${target[0]} ${target[1]}` : "an unknown target" });
    }
  }

  private readNacls(): void {
    const parse = (r: TfResource): NaclInfo => {
      const info: NaclInfo = { label: label(r), ingress: [], egress: [] };
      for (const direction of ["ingress", "egress"] as const)
        asArray(r.body[direction]).forEach((raw) => {
          const b = raw as Record<string, unknown>;
          info[direction].push(this.naclRule(b.rule_no, b.action, b, `${r.address}.${direction}`));
        });
      return info;
    };
    const acls = new Map<string, NaclInfo>();
    for (const r of resourcesOf(this.tf, "aws_network_acl")) {
      const info = parse(r);
      acls.set(r.address, info);
      for (const s of asArray(r.body.subnet_ids)) {
        const subnet = this.subnetRef(s);
        if (subnet) this.subnetNacl.set(subnet, info);
      }
    }
    for (const r of resourcesOf(this.tf, "aws_default_network_acl")) {
      const info = parse(r);
      acls.set(r.address, info);
      const vpc = refOf(r.body.default_network_acl_id);
      if (vpc?.type === "aws_vpc") this.defaultNacl.set(vpc.address, info);
      for (const s of asArray(r.body.subnet_ids)) {
        const subnet = this.subnetRef(s);
        if (subnet) this.subnetNacl.set(subnet, info);
      }
    }
    for (const r of resourcesOf(this.tf, "aws_network_acl_rule")) {
      const acl = acls.get(refOf(r.body.network_acl_id)?.address ?? "");
      if (acl)
        acl[isTrue(r.body.egress) ? "egress" : "ingress"].push(
          this.naclRule(r.body.rule_number, r.body.rule_action, r.body, r.address),
        );
    }
    for (const r of resourcesOf(this.tf, "aws_network_acl_association")) {
      const acl = acls.get(refOf(r.body.network_acl_id)?.address ?? "");
      const subnet = this.subnetRef(r.body.subnet_id);
      if (acl && subnet) this.subnetNacl.set(subnet, acl);
    }
    for (const acl of acls.values())
      for (const list of [acl.ingress, acl.egress]) list.sort((a, b) => a.number - b.number);
  }

  private naclRule(number: unknown, action: unknown, b: Record<string, unknown>, where: string): NaclRule {
    const n = num(number) ?? 32767;
    return {
      label: `${where} #${n}`,
      number: n,
      allow: String(action).toLowerCase() === "allow",
      cov: coverageOf(b.protocol, b.from_port, b.to_port, b.icmp_type ?? -1, b.icmp_code ?? -1),
      range: b.cidr_block === undefined ? undefined : this.cidr(b.cidr_block, where),
    };
  }

  private buildPlaces(): string[] {
    // Groups and public addresses of what sits in each subnet.
    const groupsIn = new Map<string, Set<string>>();
    const publicIn = new Set<string>();
    const place = (subnet: string | undefined, groups: string[], isPublic: boolean) => {
      if (!subnet) return;
      const set = groupsIn.get(subnet) ?? new Set<string>();
      groups.forEach((g) => set.add(g));
      groupsIn.set(subnet, set);
      if (isPublic) publicIn.add(subnet);
    };
    const launchTemplates = new Map<string, { groups: string[]; public: boolean }>();
    for (const lt of resourcesOf(this.tf, "aws_launch_template")) {
      const nics = asArray(lt.body.network_interfaces) as Record<string, unknown>[];
      launchTemplates.set(lt.address, {
        groups: [
          ...this.groupList(lt.body.vpc_security_group_ids, lt.address),
          ...nics.flatMap((n) => this.groupList(n?.security_groups, lt.address)),
        ],
        public: nics.some((n) => isTrue(n?.associate_public_ip_address)),
      });
    }
    const ltOf = (spec: Record<string, unknown> | undefined) => {
      const r =
        refOf(spec?.id) ?? refOf(spec?.name) ?? refOf(spec?.launch_template_id) ?? refOf(spec?.launch_template_name);
      return r ? launchTemplates.get(r.address) : undefined;
    };
    const eipInstances = new Set<string>();
    for (const e of resourcesOf(this.tf, "aws_eip"))
      if (refOf(e.body.instance)) eipInstances.add(refOf(e.body.instance)!.address);
    for (const e of resourcesOf(this.tf, "aws_eip_association"))
      if (refOf(e.body.instance_id)) eipInstances.add(refOf(e.body.instance_id)!.address);
    for (const i of resourcesOf(this.tf, "aws_instance")) {
      const lt = ltOf(firstBlock(i.body.launch_template));
      const own = this.groupList(i.body.vpc_security_group_ids, i.address);
      place(
        this.subnetRef(i.body.subnet_id),
        own.length ? own : (lt?.groups ?? []),
        isTrue(i.body.associate_public_ip_address) || eipInstances.has(i.address),
      );
    }
    for (const n of resourcesOf(this.tf, "aws_network_interface"))
      place(this.subnetRef(n.body.subnet_id), this.groupList(n.body.security_groups, n.address), false);
    for (const a of resourcesOf(this.tf, "aws_autoscaling_group")) {
      const mixed = firstBlock(
        firstBlock(a.body.mixed_instances_policy)?.launch_template,
      )?.launch_template_specification;
      const lt = ltOf(firstBlock(a.body.launch_template)) ?? ltOf(firstBlock(mixed));
      for (const s of asArray(a.body.vpc_zone_identifier))
        place(this.subnetRef(s), lt?.groups ?? [], lt?.public ?? false);
    }
    for (const lb of [...resourcesOf(this.tf, "aws_lb"), ...resourcesOf(this.tf, "aws_alb")]) {
      const subnets = [
        ...asArray(lb.body.subnets),
        ...asArray(lb.body.subnet_mapping).map((m) => (m as Record<string, unknown>)?.subnet_id),
      ];
      const internetFacing = !isTrue(lb.body.internal) && lb.body.load_balancer_type !== "gateway";
      for (const s of subnets)
        place(this.subnetRef(s), this.groupList(lb.body.security_groups, lb.address), internetFacing);
    }
    const tierGroups = new Map<string, string[]>();
    for (const sg of resourcesOf(this.tf, "aws_security_group")) {
      const t = sg.body.tags?.Tier;
      if (typeof t === "string") tierGroups.set(t, [...(tierGroups.get(t) ?? []), sg.address]);
    }

    // Elementary address ranges: every CIDR the stack mentions is a union of them.
    const points = [...this.boundaries].sort((a, b) => a - b);
    const elementary: Range[] = points.slice(0, -1).map((pt, i) => [pt, points[i + 1] - 1] as Range);
    const internetReps = elementary.filter((r) => !this.vpcCidrs.some((v) => containsRange(v, r)));

    const tiers: string[] = [];
    for (const s of this.subnets.values()) {
      if (!s.tier) continue;
      let pl = this.places.get(s.tier);
      if (!pl) {
        pl = { name: s.tier, kind: "tier", members: [] };
        this.places.set(s.tier, pl);
        tiers.push(s.tier);
      }
      const groups = [...new Set([...(tierGroups.get(s.tier) ?? []), ...(groupsIn.get(s.address) ?? [])])];
      pl.members.push(this.member(pl.name, "subnet", s, groups, s.mapPublic || publicIn.has(s.address), elementary));
    }
    this.places.set(INTERNET, {
      name: INTERNET,
      kind: "internet",
      members: [this.member(INTERNET, "internet", undefined, [], true, internetReps)],
    });
    for (const e of resourcesOf(this.tf, "aws_vpc_endpoint")) {
      const type = String(e.body.vpc_endpoint_type ?? "Gateway");
      if (type === "Gateway") {
        const m = this.member(e.address, "service", undefined, [], false, internetReps);
        this.places.set(e.address, { name: e.address, kind: "service", members: [{ ...m, service: e.address }] });
      } else if (type === "Interface") {
        const groups = this.groupList(e.body.security_group_ids, e.address);
        const members = asArray(e.body.subnet_ids)
          .map((s) => this.subnets.get(this.subnetRef(s) ?? ""))
          .filter((s): s is SubnetInfo => s !== undefined)
          .map((s) => this.member(e.address, "subnet", s, groups, false, elementary));
        this.places.set(e.address, { name: e.address, kind: "tier", members });
      }
    }
    return [...tiers, INTERNET];
  }

  private member(
    placeName: string,
    kind: Member["kind"],
    subnet: SubnetInfo | undefined,
    groups: string[],
    isPublic: boolean,
    reps: Range[],
  ): Member {
    const own = subnet
      ? subnet.cidr
        ? reps.filter((r) => containsRange(subnet.cidr!, r))
        : [[-1, -1] as Range]
      : reps;
    return { id: this.nextMember++, place: placeName, kind, subnet, groups, public: isPublic, reps: own };
  }
}
