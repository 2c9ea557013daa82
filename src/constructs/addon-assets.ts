/**
 * Where the nodes get the add-ons: a secure bucket (see SecureBucket) with a name Terraform makes
 * unique, holding each add-on bundle under addons/<bundle digest>/. Nodes read it over the S3
 * gateway endpoint of the spec's route tables ("AWS services via VPC endpoint"), never from the
 * internet; its name reaches them through SSM (assets/bucket), the bundle digest through user data.
 */
import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { AddonBundle, BUNDLE_FILES } from "../addons/bundle";
import { SecureBucket } from "./secure-bucket";
import { named } from "./network";

export interface AddonAssetsProps {
  readonly clusterName: string;
  readonly bundle: AddonBundle;
}

/** S3's bucket_prefix allows 37 characters (Terraform appends 26). */
export const BUCKET_PREFIX_MAX = 37;

export function assetsBucketPrefix(clusterName: string): string {
  return `${clusterName.slice(0, BUCKET_PREFIX_MAX - "-assets-".length).replace(/-+$/, "")}-assets-`;
}

/** The S3 key of a bundle file. */
export function bundleKey(bundle: AddonBundle, file: string): string {
  return `addons/${bundle.digest}/${file}`;
}

/**
 * Object bodies go to Terraform base64-encoded: the same bytes from the JSON and the HCL stacks
 * (cdktf's HCL heredocs add a newline, and Terraform would read ${ and %{ in scripts as templates).
 */
export function objectBody(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

const snake = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/_+$/, "");

export class AddonAssets extends Construct {
  readonly bucket: S3Bucket;
  readonly objects: S3Object[] = [];
  /** S3 key -> the text uploaded there. */
  readonly contents: Record<string, string> = {};
  readonly bundle: AddonBundle;

  constructor(scope: Construct, id: string, props: AddonAssetsProps) {
    super(scope, id);
    this.bundle = props.bundle;
    const secure = new SecureBucket(this, "bucket", {
      bucketPrefix: assetsBucketPrefix(props.clusterName),
      key: "assets",
      preventDestroy: false,
      // Every object is Terraform's own (a bundle it can upload again); old versions must not block a destroy.
      forceDestroy: true,
    });
    this.bucket = secure.bucket;
    const put = (file: string, content: string) => {
      this.contents[bundleKey(props.bundle, file)] = content;
      this.objects.push(
        named(
          new S3Object(this, `object-${file}`, {
            bucket: this.bucket.id,
            key: bundleKey(props.bundle, file),
            contentBase64: objectBody(content),
            contentType: file.endsWith(".yaml") ? "application/yaml" : "text/plain",
          }),
          `addon_${snake(file)}`,
        ),
      );
    };
    for (const f of props.bundle.files) put(f.path, f.text);
    put(BUNDLE_FILES.sums, props.bundle.sums);
  }
}
