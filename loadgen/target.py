"""The one URL the load generator may load: an edgeflix stack's CDN URL.

`target_url(cfg)` reads the target stack's `cdn_url` output (the name is
`infra.outputs.CDN_URL`, the main program's one owner of its output names) through a
`pulumi.StackReference`, or takes `targetUrl` for offline runs, and refuses anything but
an https URL on a CloudFront host (`*.cloudfront.net`, or a host listed in
`allowedHosts`) unless `allowAnyTarget` is set. The refusal raises during
`pulumi preview`, before any instance exists.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from infra.outputs import CDN_URL

from .config import NAMESPACE, LoadgenConfig

CLOUDFRONT_SUFFIX = ".cloudfront.net"


class TargetRefused(ValueError):
    """The target is not an edgeflix CDN URL this stack may load; the message says why."""


def check_target_url(url: str, allowed_hosts: list[str] | tuple[str, ...] = (),
                     allow_any: bool = False) -> str:
    """`url` without a trailing slash when it is https on a CloudFront host (or one of
    `allowed_hosts`); raises TargetRefused otherwise. `allow_any` lifts the check."""
    if allow_any:
        return url.rstrip("/")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        raise TargetRefused(f"target {url!r} is not https; set {NAMESPACE}:allowAnyTarget "
                            "to load it anyway")
    if not (host.endswith(CLOUDFRONT_SUFFIX) or host in allowed_hosts):
        raise TargetRefused(f"target {url!r} is not a CloudFront host (*{CLOUDFRONT_SUFFIX}) "
                            f"nor in {NAMESPACE}:allowedHosts; set {NAMESPACE}:allowAnyTarget "
                            "to load it anyway")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise TargetRefused(f"target {url!r}: the CDN URL is scheme and host only")
    return url.rstrip("/")


def target_url(cfg: LoadgenConfig):
    """The checked target as a `pulumi.Output[str]` (raises TargetRefused when refused)."""
    import pulumi

    def checked(url: object) -> str:
        if not isinstance(url, str) or not url:
            raise TargetRefused(f"stack {cfg.target_stack} exports no {CDN_URL!r}: is it "
                                "an edgeflix stack that has been deployed?")
        return check_target_url(url, cfg.allowed_hosts, cfg.allow_any_target)

    if cfg.target_url is not None:
        return pulumi.Output.from_input(checked(cfg.target_url))
    stack = pulumi.StackReference(cfg.target_stack)
    return stack.get_output(CDN_URL).apply(checked)
