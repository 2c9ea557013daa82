/** Image references matched as the kubelet matches its credential providers' image patterns. */
import { matchImage, parseImage, unpinned } from "../src/bootstrap/image-pulls";

const ECR = "602401143452.dkr.ecr.us-west-2.amazonaws.com";

describe("matchImage as kubelet's URLsMatchStr (kubernetes/kubernetes pkg/credentialprovider/keyring.go)", () => {
  // Kubelet docs (kubelet-credential-provider): "Each glob can only match a single subdomain segment,
  // so *.io does NOT match *.k8s.io".
  test.each([
    ["*.dkr.ecr.*.amazonaws.com", `${ECR}/amazon-k8s-cni:v1.23.0`, true],
    ["*.dkr.ecr.*.amazonaws.com", "602401143452.dkr.ecr.cn-north-1.amazonaws.com.cn/x:1", false], // 7 labels, not 6
    ["*.dkr.ecr.*.amazonaws.com.cn", "602401143452.dkr.ecr.cn-north-1.amazonaws.com.cn/x:1", true],
    ["*.io", "registry.k8s.io/pause:3.10", false],
    ["registry.k8s.io:5000", "registry.k8s.io/pause:3.10", false], // ports differ
    ["registry.k8s.io/provider-aws", "registry.k8s.io/provider-aws/cloud-controller-manager:v1.35.2", true],
    ["registry.k8s.io/provider-aws", "registry.k8s.io/pause:3.10", false], // path is no prefix
    ["k8s.*.io", "k8s.gcr.io/x:1", true],
  ])("%s matches %s: %s", (pattern, image, expected) => expect(matchImage(pattern, image)).toBe(expected));

  test.each([
    ["busybox:1.36", { registry: "docker.io", repository: "library/busybox", tag: "1.36", digest: undefined }],
    ["localhost:5000/x:1", { registry: "localhost:5000", repository: "x", tag: "1", digest: undefined }],
    [
      `registry.k8s.io/pause@sha256:${"a".repeat(64)}`,
      { registry: "registry.k8s.io", repository: "pause", tag: undefined, digest: `sha256:${"a".repeat(64)}` },
    ],
    [
      `registry.k8s.io/pause:3.10@sha256:${"a".repeat(64)}`,
      { registry: "registry.k8s.io", repository: "pause", tag: "3.10", digest: `sha256:${"a".repeat(64)}` },
    ],
  ])("parseImage(%s)", (image, expected) => expect(parseImage(image)).toEqual(expected));

  test("unpinned: digests must be sha256:<64 hex>, tags must exist and not be latest", () => {
    expect(unpinned(`registry.k8s.io/pause@sha256:${"a".repeat(64)}`)).toBeUndefined();
    expect(unpinned("registry.k8s.io/pause@sha256:abc")).toBe("digest sha256:abc is not sha256:<64 hex>");
    expect(unpinned("registry.k8s.io/pause")).toBe("has no tag (the runtime would pull :latest)");
    expect(unpinned("localhost:5000/x")).toBe("has no tag (the runtime would pull :latest)");
  });
});
