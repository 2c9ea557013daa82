/**
 * The AWS regions synth accepts without `allowUnlistedRegion`: every region the AWS provider
 * this project pins (5.100.0) knows outside the isolated (ISO) partitions and the European
 * Sovereign Cloud, read on 2026-12-07 from the partition data compiled into
 * terraform-provider-aws_v5.100.0 (the binary in the provider mirror; the system test
 * aws-region-list.test.ts reads it again). Regions opened after that provider release (for example
 * ap-southeast-6) need the escape hatch.
 */
export const KNOWN_REGIONS: readonly string[] = Object.freeze([
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-7",
  "ca-central-1",
  "ca-west-1",
  "cn-north-1",
  "cn-northwest-1",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "mx-central-1",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-gov-east-1",
  "us-gov-west-1",
  "us-west-1",
  "us-west-2",
]);

export const REGIONS_SOURCE = "terraform-provider-aws 5.100.0's partition data, read 2026-12-07";

/**
 * The shape of a region name (partition prefix, geography, number), for names the list does not
 * hold yet; the configuration and the node bootstrap both check a region with it.
 */
export const REGION_NAME =
  /^[a-z]{2}(-gov|-iso[a-z]?)?-(central|north|south|east|west|northeast|northwest|southeast|southwest)-[1-9]$/;
/** An availability zone's name: its region's name and one letter. */
export const AZ_NAME = new RegExp(`${REGION_NAME.source.slice(0, -1)}[a-z]$`);
