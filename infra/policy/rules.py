"""Guardrails for the edgeflix stack, as plain functions.

Each rule takes a resource type token and the resource's properties (Pulumi wire
names, camelCase, exactly as the policy engine and the test mocks see them) and
returns violation messages; an empty list means compliant. Unknown values (a
preview before the value exists) are skipped by the policy SDK's proxy.

One module, though long: it is the pack's single list of guarantees (`RULES`), each a
short independent function, read top to bottom by reviewers; splitting it by service
would scatter that list without separating concerns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from edge.origin import ORIGIN_VERIFY_HEADER

Props = Mapping[str, Any]
Rule = Callable[[str, Props], list[str]]
StackRule = Callable[[Sequence[tuple[str, Props]]], list[str]]  # every (type, props)

BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ENCRYPTION = ("aws:s3/bucketServerSideEncryptionConfiguration:"
              "BucketServerSideEncryptionConfiguration")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
ALB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
CERTIFICATE = "aws:acm/certificate:Certificate"
TABLE = "aws:dynamodb/table:Table"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SUBNET = "aws:ec2/subnet:Subnet"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
VPC = "aws:ec2/vpc:Vpc"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
# Headers whose values grant access: signed cookies and bearer tokens never reach a log.
SECRET_HEADERS = ("cookie", "authorization")

ANYWHERE = {"0.0.0.0/0", "::/0"}
# ELB security policies whose minimum is TLS 1.2 (the TLS13-1-2/1-3, TLS-1-2 and FS-1-2
# families); anything else, and an unset policy (ELBSecurityPolicy-2016-08), admits TLS 1.0.
TLS12_SSL_POLICY_PREFIXES = ("ELBSecurityPolicy-TLS13-1-2-", "ELBSecurityPolicy-TLS13-1-3-",
                             "ELBSecurityPolicy-TLS-1-2-", "ELBSecurityPolicy-FS-1-2-")
SECRET_MARKERS = ("PRIVATE KEY-----", "aws_secret_access_key", "AWS_SECRET_ACCESS_KEY",
                  ORIGIN_VERIFY_HEADER)


SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's wire marker of a secret value


def unsecret(value: Any) -> Any:
    """Values with secret markers replaced by the values themselves."""
    if isinstance(value, Mapping):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
            return unsecret(value.get("value"))
        return {k: unsecret(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [unsecret(v) for v in value]
    return value


def _truthy(value: Any) -> bool:
    """Launch-template flags arrive as strings ("true") or booleans."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _statements(document: Any) -> list[dict]:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return [{"_invalid": True}]
    if not isinstance(document, Mapping):
        return [{"_invalid": True}]
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


# ---- S3 ------------------------------------------------------------------------

def bucket_public_access_fully_blocked(resource_type: str, props: Props) -> list[str]:
    """All four public-access-block flags are on."""
    if resource_type != PUBLIC_ACCESS_BLOCK:
        return []
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    off = [f for f in flags if props.get(f) is not True]
    return [f"public access block must set {', '.join(off)} to true"] if off else []


def bucket_ownership_not_object_writer(resource_type: str, props: Props) -> list[str]:
    """The bucket owner owns every object (no ObjectWriter ownership)."""
    if resource_type != OWNERSHIP:
        return []
    ownership = (props.get("rule") or {}).get("objectOwnership")
    if ownership not in ("BucketOwnerEnforced", "BucketOwnerPreferred"):
        return [f"object ownership {ownership!r}: use BucketOwnerEnforced "
                "(BucketOwnerPreferred only for ACL log delivery)"]
    return []


def bucket_encrypted(resource_type: str, props: Props) -> list[str]:
    """Default encryption is SSE-S3 or SSE-KMS."""
    if resource_type != ENCRYPTION:
        return []
    rules = props.get("rules") or []
    algorithms = [((r or {}).get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm")
                  for r in rules]
    if not algorithms or any(a not in ("AES256", "aws:kms", "aws:kms:dsse") for a in algorithms):
        return [f"default encryption must be AES256 or aws:kms (got {algorithms})"]
    return []


def bucket_versioned(resource_type: str, props: Props) -> list[str]:
    """Bucket versioning is Enabled (log buckets included): an overwritten or deleted
    object stays recoverable."""
    if resource_type != VERSIONING:
        return []
    status = (props.get("versioningConfiguration") or {}).get("status")
    return [] if status == "Enabled" else [f"bucket versioning must be Enabled (got {status!r})"]


def bucket_not_public_and_tls_only(resource_type: str, props: Props) -> list[str]:
    """Bucket policies deny plain HTTP, grant nothing to '*', and scope CloudFront by
    AWS:SourceArn."""
    if resource_type != BUCKET_POLICY:
        return []
    problems: list[str] = []
    statements = _statements(props.get("policy"))
    if any(s.get("_invalid") for s in statements):
        return ["bucket policy is not a JSON policy document"]
    tls_deny = any(
        s.get("Effect") == "Deny"
        and (s.get("Condition") or {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for s in statements
    )
    if not tls_deny:
        problems.append("bucket policy must deny requests with aws:SecureTransport=false")
    for s in statements:
        if s.get("Effect") != "Allow":
            continue
        principal = s.get("Principal")
        aws_principals = _as_list(principal.get("AWS")) if isinstance(principal, Mapping) else []
        if principal == "*" or "*" in aws_principals:
            problems.append(f"statement {s.get('Sid', '?')} allows everyone ('*')")
        services = _as_list(principal.get("Service")) if isinstance(principal, Mapping) else []
        if "cloudfront.amazonaws.com" in services:
            source = (s.get("Condition") or {}).get("StringEquals", {}).get("AWS:SourceArn")
            if not source or "*" in str(source):
                problems.append(f"statement {s.get('Sid', '?')}: cloudfront.amazonaws.com "
                                "must be limited by AWS:SourceArn to one distribution")
    return problems


# ---- CloudFront -------------------------------------------------------------------

def distribution_secure(resource_type: str, props: Props) -> list[str]:
    """HTTPS for viewers, security headers on every behaviour, OAC for S3, TLS 1.2+ with a
    custom certificate (access logging: distribution-access-logged, a stack rule)."""
    if resource_type != DISTRIBUTION:
        return []
    problems: list[str] = []
    behaviors = [("default", props.get("defaultCacheBehavior") or {})] + [
        (b.get("pathPattern", "?"), b) for b in props.get("orderedCacheBehaviors") or []
    ]
    for path, b in behaviors:
        if b.get("viewerProtocolPolicy") not in ("redirect-to-https", "https-only"):
            problems.append(f"behaviour {path}: viewer protocol must be redirect-to-https "
                            f"or https-only (got {b.get('viewerProtocolPolicy')!r})")
        if not b.get("responseHeadersPolicyId"):
            problems.append(f"behaviour {path}: needs a response-headers policy")
        if b.get("forwardedValues"):
            problems.append(f"behaviour {path}: use cache policies, not legacy forwarded values")
    for origin in props.get("origins") or []:
        domain = str(origin.get("domainName", ""))
        if ".s3." in domain or domain.endswith(".s3.amazonaws.com"):
            if "s3-website" in domain:
                problems.append(f"origin {origin.get('originId')}: no S3 website endpoints")
            if not origin.get("originAccessControlId"):
                problems.append(f"origin {origin.get('originId')}: S3 origins need Origin "
                                "Access Control")
            if (origin.get("s3OriginConfig") or {}).get("originAccessIdentity"):
                problems.append(f"origin {origin.get('originId')}: no legacy OAI")
    for origin in props.get("origins") or []:
        custom = origin.get("customOriginConfig") or {}
        weak = sorted(set(_as_list(custom.get("originSslProtocols"))) - {"TLSv1.2"})
        if custom.get("originProtocolPolicy") in ("https-only", "match-viewer") and weak:
            problems.append(f"origin {origin.get('originId')}: origin TLS must be TLSv1.2 "
                            f"only (got {weak})")
    cert = props.get("viewerCertificate") or {}
    if cert.get("acmCertificateArn") and not str(
            cert.get("minimumProtocolVersion", "")).startswith(("TLSv1.2", "TLSv1.3")):
        problems.append("a custom certificate must raise viewer TLS to 1.2 or later")
    return problems


def vpc_origin_tls_modern(resource_type: str, props: Props) -> list[str]:
    """A CloudFront VPC origin that speaks HTTPS to its ALB offers TLSv1.2 only, as a custom
    origin must (distribution-secure)."""
    if resource_type != VPC_ORIGIN:
        return []
    endpoint = props.get("vpcOriginEndpointConfig") or {}
    offered = _as_list((endpoint.get("originSslProtocols") or {}).get("items"))
    weak = sorted(set(offered) - {"TLSv1.2"})
    if endpoint.get("originProtocolPolicy") in ("https-only", "match-viewer") and weak:
        return [f"VPC origin {endpoint.get('name')}: origin TLS must be TLSv1.2 only "
                f"(got {weak})"]
    return []


def origin_access_control_signs_always(resource_type: str, props: Props) -> list[str]:
    """OAC signs every request with SigV4."""
    if resource_type != OAC:
        return []
    if props.get("signingBehavior") != "always" or props.get("signingProtocol") != "sigv4":
        return ["origin access control must sign always with sigv4"]
    return []


def web_acl_rate_limited_and_observable(resource_type: str, props: Props) -> list[str]:
    """A CloudFront web ACL has a rate-based rule, and CloudWatch metrics on itself and on
    every rule."""
    if resource_type != WEB_ACL or props.get("scope") != "CLOUDFRONT":
        return []
    problems: list[str] = []
    rules = props.get("rules") or []
    if not any(((r or {}).get("statement") or {}).get("rateBasedStatement") for r in rules):
        problems.append("a CLOUDFRONT web ACL needs at least one rate-based rule")
    if ((props.get("visibilityConfig") or {}).get("cloudwatchMetricsEnabled")) is not True:
        problems.append("the web ACL must publish CloudWatch metrics")
    for rule in rules:
        if ((rule or {}).get("visibilityConfig") or {}).get("cloudwatchMetricsEnabled") is not True:
            problems.append(f"rule {rule.get('name', '?')}: CloudWatch metrics must be enabled")
    return problems


def web_acl_logs_redact_credentials(resource_type: str, props: Props) -> list[str]:
    """WAF logging redacts the Cookie and Authorization headers: signed cookies and bearer
    tokens grant playback to whoever reads them."""
    if resource_type != WEB_ACL_LOGGING:
        return []
    redacted = {str(((f or {}).get("singleHeader") or {}).get("name", "")).lower()
                for f in props.get("redactedFields") or []}
    missing = [h for h in SECRET_HEADERS if h not in redacted]
    return [f"WAF logging must redact the {', '.join(missing)} header(s)"] if missing else []


def log_group_expires(resource_type: str, props: Props) -> list[str]:
    """CloudWatch Logs groups have a retention period (never keep logs forever by default)."""
    if resource_type != LOG_GROUP:
        return []
    return [] if props.get("retentionInDays") else ["log group needs retentionInDays"]


# ---- Fleet ----------------------------------------------------------------------

def launch_template_hardened(resource_type: str, props: Props) -> list[str]:
    """IMDSv2 only with hop limit 1, encrypted EBS, no public IP, no secrets in user data."""
    if resource_type != LAUNCH_TEMPLATE:
        return []
    problems: list[str] = []
    md = props.get("metadataOptions") or {}
    if md.get("httpTokens") != "required":
        problems.append("IMDSv2 must be required (metadataOptions.httpTokens=required)")
    if md.get("httpPutResponseHopLimit") not in (1, 1.0):
        problems.append("metadata hop limit must be 1 (containers must not reach IMDS)")
    for bdm in props.get("blockDeviceMappings") or []:
        if not _truthy((bdm.get("ebs") or {}).get("encrypted")):
            problems.append(f"EBS volume {bdm.get('deviceName')} must be encrypted")
    if not props.get("blockDeviceMappings"):
        problems.append("declare the root volume so its encryption is explicit")
    for nic in props.get("networkInterfaces") or []:
        if _truthy(nic.get("associatePublicIpAddress")):
            problems.append("instances must not get a public IP")
    user_data = props.get("userData") or ""
    if isinstance(user_data, str):
        import base64
        import binascii
        try:
            decoded = base64.b64decode(user_data, validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            decoded = user_data
        for marker in SECRET_MARKERS:
            if marker in decoded:
                problems.append(f"user data must not carry secrets (found {marker!r})")
    return problems


def asg_safe_rollout(resource_type: str, props: Props) -> list[str]:
    """Pinned launch template version, ELB health checks, >= 2 subnets, refresh with
    min healthy >= 90% and auto-rollback on alarms."""
    if resource_type != ASG:
        return []
    problems: list[str] = []
    version = str((props.get("launchTemplate") or {}).get("version", ""))
    if version in ("", "$Latest", "$Default"):
        problems.append(f"launch template version must be pinned (latest_version), "
                        f"not {version or 'unset'!r}")
    if props.get("healthCheckType") != "ELB":
        problems.append("health check type must be ELB")
    if len(props.get("vpcZoneIdentifiers") or []) < 2:
        problems.append("the group must span at least 2 subnets (AZs)")
    if not props.get("defaultInstanceWarmup"):
        problems.append("default instance warmup must be set")
    refresh = props.get("instanceRefresh") or {}
    prefs = refresh.get("preferences") or {}
    if not refresh:
        problems.append("instance refresh must be configured")
    else:
        if (prefs.get("minHealthyPercentage") or 0) < 90:
            problems.append("instance refresh min healthy must be >= 90%")
        if prefs.get("autoRollback") is not True:
            problems.append("instance refresh must auto-roll back")
        if not (prefs.get("alarmSpecification") or {}).get("alarms"):
            problems.append("instance refresh must watch alarms (alarmSpecification)")
    return problems


def no_ingress_from_anywhere(resource_type: str, props: Props) -> list[str]:
    """Nothing in this stack admits traffic from 0.0.0.0/0 or ::/0."""
    cidrs: list[str] = []
    if resource_type == SECURITY_GROUP:
        for rule in props.get("ingress") or []:
            cidrs += _as_list(rule.get("cidrBlocks")) + _as_list(rule.get("ipv6CidrBlocks"))
    elif resource_type == SG_INGRESS:
        cidrs += [props.get("cidrIpv4"), props.get("cidrIpv6")]
    elif resource_type == SG_RULE and props.get("type") == "ingress":
        cidrs += _as_list(props.get("cidrBlocks")) + _as_list(props.get("ipv6CidrBlocks"))
    bad = sorted({c for c in cidrs if c in ANYWHERE})
    return [f"ingress from {', '.join(bad)} is not allowed"] if bad else []


def default_security_group_locked(resource_type: str, props: Props) -> list[str]:
    """The VPC's default security group has no rules: whatever is launched without a group
    of its own neither reaches nor is reached by anything."""
    if resource_type != DEFAULT_SECURITY_GROUP:
        return []
    rules = [d for d in ("ingress", "egress") if props.get(d)]
    return [f"the default security group must have no {' or '.join(rules)} rules"] if rules \
        else []


def subnet_no_public_ip(resource_type: str, props: Props) -> list[str]:
    """No subnet hands out public IPs on launch."""
    if resource_type == SUBNET and props.get("mapPublicIpOnLaunch") is True:
        return ["subnets must not map public IPs on launch"]
    return []


def alb_hardened(resource_type: str, props: Props) -> list[str]:
    """Drop invalid headers, desync mitigation, access logs on."""
    if resource_type != ALB or props.get("loadBalancerType", "application") != "application":
        return []
    problems: list[str] = []
    if props.get("dropInvalidHeaderFields") is not True:
        problems.append("ALB must drop invalid header fields")
    if props.get("desyncMitigationMode") not in ("defensive", "strictest"):
        problems.append("ALB desync mitigation must be defensive or strictest")
    if (props.get("accessLogs") or {}).get("enabled") is not True:
        problems.append("ALB access logs must be enabled")
    return problems


def listener_default_denies(resource_type: str, props: Props) -> list[str]:
    """A listener forwards only through rules (the secret-header rule); its default
    action answers a fixed 403."""
    if resource_type != LISTENER:
        return []
    actions = props.get("defaultActions") or []
    if not actions or any(
        a.get("type") != "fixed-response"
        or str((a.get("fixedResponse") or {}).get("statusCode")) != "403"
        for a in actions
    ):
        return ["listener default action must be a fixed 403 response"]
    return []


def listener_rule_requires_origin_verify(resource_type: str, props: Props) -> list[str]:
    """Every listener rule that forwards (one per API service, path patterns or not) also
    asks for the secret origin header: a path rule without it would let anyone who
    reaches the ALB past CloudFront."""
    if resource_type != LISTENER_RULE:
        return []
    actions = props.get("actions") or []
    if not any(a.get("type") == "forward" for a in actions):
        return []
    for condition in props.get("conditions") or []:
        header = condition.get("httpHeader") or {}
        if header.get("httpHeaderName") == ORIGIN_VERIFY_HEADER and header.get("values"):
            return []
    return [f"a forwarding listener rule must require the {ORIGIN_VERIFY_HEADER} header"]


def listener_tls_modern(resource_type: str, props: Props) -> list[str]:
    """An HTTPS (or TLS) listener names its certificate and a TLS 1.2+ security policy."""
    if resource_type != LISTENER or props.get("protocol") not in ("HTTPS", "TLS"):
        return []
    problems: list[str] = []
    if not props.get("certificateArn"):
        problems.append(f"a {props['protocol']} listener must name its certificate")
    policy = str(props.get("sslPolicy") or "")
    if not policy.startswith(TLS12_SSL_POLICY_PREFIXES):
        problems.append(f"SSL policy {policy or 'unset (ELBSecurityPolicy-2016-08)'!r} admits "
                        "TLS below 1.2; use e.g. ELBSecurityPolicy-TLS13-1-2-2021-06")
    return problems


def table_recoverable(resource_type: str, props: Props) -> list[str]:
    """DynamoDB tables have point-in-time recovery."""
    if resource_type != TABLE:
        return []
    if (props.get("pointInTimeRecovery") or {}).get("enabled") is not True:
        return ["DynamoDB table must enable point-in-time recovery"]
    return []


def role_policy_least_privilege(resource_type: str, props: Props) -> list[str]:
    """Inline role policies name actions and resources: no '*' wildcards."""
    if resource_type != ROLE_POLICY:
        return []
    problems: list[str] = []
    for s in _statements(props.get("policy")):
        if s.get("_invalid"):
            return ["role policy is not a JSON policy document"]
        if s.get("Effect") != "Allow":
            continue
        for action in _as_list(s.get("Action")):
            if action == "*" or str(action).endswith(":*"):
                problems.append(f"statement {s.get('Sid', '?')}: action {action!r} is a wildcard")
        for resource in _as_list(s.get("Resource")):
            if resource == "*":
                problems.append(f"statement {s.get('Sid', '?')}: resource '*'")
    return problems


@dataclass(frozen=True)
class Guardrail:
    name: str
    description: str
    check: Rule

    @classmethod
    def of(cls, fn):
        """A guardrail named after its rule function and described by its docstring's lead."""
        return cls(fn.__name__.replace("_", "-"), (fn.__doc__ or "").split("\n\n")[0].strip(),
                   fn)


GUARDRAILS: tuple[Guardrail, ...] = tuple(
    Guardrail.of(fn)
    for fn in (
        bucket_public_access_fully_blocked,
        bucket_ownership_not_object_writer,
        bucket_encrypted,
        bucket_versioned,
        bucket_not_public_and_tls_only,
        distribution_secure,
        vpc_origin_tls_modern,
        origin_access_control_signs_always,
        web_acl_rate_limited_and_observable,
        web_acl_logs_redact_credentials,
        log_group_expires,
        launch_template_hardened,
        asg_safe_rollout,
        no_ingress_from_anywhere,
        default_security_group_locked,
        subnet_no_public_ip,
        alb_hardened,
        listener_default_denies,
        listener_rule_requires_origin_verify,
        listener_tls_modern,
        table_recoverable,
        role_policy_least_privilege,
    )
)


# ---- Whole-stack rules -------------------------------------------------------------

def _covers(certificate_name: str, host: str) -> bool:
    if certificate_name.startswith("*."):
        return "." in host and host.partition(".")[2] == certificate_name[2:]
    return certificate_name == host


def origin_tls_where_certified(resources: Sequence[tuple[str, Props]]) -> list[str]:
    """A CloudFront custom origin, or a VPC origin, whose name has a certificate in the
    stack is reached https-only: the secret origin header never crosses the network in
    clear text."""
    certified = [str(p.get("domainName", "")).rstrip(".").lower()
                 for t, p in resources if t == CERTIFICATE]
    problems: list[str] = []
    for type_, props in resources:
        if type_ != DISTRIBUTION:
            continue
        for origin in props.get("origins") or []:
            custom = origin.get("customOriginConfig")
            host = str(origin.get("domainName", "")).rstrip(".").lower()
            if not custom or not any(_covers(name, host) for name in certified):
                continue
            if custom.get("originProtocolPolicy") != "https-only":
                problems.append(f"origin {origin.get('originId')}: {host} has a certificate in "
                                f"this stack, so the origin protocol must be https-only "
                                f"(got {custom.get('originProtocolPolicy')!r})")
    vpc_hosts = [str(o.get("domainName", "")).rstrip(".").lower()
                 for t, p in resources if t == DISTRIBUTION for o in p.get("origins") or []
                 if o.get("vpcOriginConfig")]
    if any(_covers(name, host) for name in certified for host in vpc_hosts):
        for type_, props in resources:
            endpoint = (props.get("vpcOriginEndpointConfig") or {}) if type_ == VPC_ORIGIN \
                else {}
            if endpoint and endpoint.get("originProtocolPolicy") != "https-only":
                problems.append(f"VPC origin {endpoint.get('name')}: its origin name has a "
                                "certificate in this stack, so the protocol must be "
                                f"https-only (got {endpoint.get('originProtocolPolicy')!r})")
    return problems


def alb_internal_behind_vpc_origin(resources: Sequence[tuple[str, Props]]) -> list[str]:
    """A stack that reaches its API through a CloudFront VPC origin keeps every ALB
    internal: an internet-facing one would be a second way in that skips CloudFront."""
    if not any(t == VPC_ORIGIN for t, _ in resources):
        return []
    return [f"load balancer {p.get('name', '?')} is internet-facing in a stack that reaches "
            "its API through a VPC origin" for t, p in resources
            if t == ALB and not _truthy(p.get("internal"))]


def every_vpc_default_group_managed(resources: Sequence[tuple[str, Props]]) -> list[str]:
    """Each VPC's default security group is taken over by the stack (and so locked by
    default-security-group-locked): one DefaultSecurityGroup per VPC."""
    vpcs = sum(1 for t, _ in resources if t == VPC)
    managed = sum(1 for t, _ in resources if t == DEFAULT_SECURITY_GROUP)
    if managed < vpcs:
        return [f"{vpcs} VPCs but {managed} managed default security groups: AWS's default "
                "group admits all traffic from its members and to anywhere"]
    return []


def distribution_access_logged(resources: Sequence[tuple[str, Props]]) -> list[str]:
    """Each distribution logs its requests: legacy standard logging to a bucket, or a
    standard logging v2 delivery source (ACCESS_LOGS) for it."""
    v2 = {str(p.get("resourceArn")) for t, p in resources
          if t == LOG_DELIVERY_SOURCE and p.get("logType") == "ACCESS_LOGS"}
    unlogged = [p for t, p in resources if t == DISTRIBUTION
                and not (p.get("loggingConfig") or {}).get("bucket")]
    if len(unlogged) > len(v2):
        return [f"{len(unlogged)} distributions without legacy logging but {len(v2)} "
                "ACCESS_LOGS delivery sources: standard logging must be enabled"]
    return []


def cloudfront_web_acl_logged(resources: Sequence[tuple[str, Props]]) -> list[str]:
    """Each CLOUDFRONT web ACL has a logging configuration: blocked and allowed requests
    can be explained after the fact."""
    acls = sum(1 for t, p in resources if t == WEB_ACL and p.get("scope") == "CLOUDFRONT")
    logged = sum(1 for t, _ in resources if t == WEB_ACL_LOGGING)
    if logged < acls:
        return [f"{acls} CLOUDFRONT web ACLs but {logged} logging configurations"]
    return []


@dataclass(frozen=True)
class StackGuardrail(Guardrail):
    check: StackRule


STACK_GUARDRAILS: tuple[StackGuardrail, ...] = tuple(
    StackGuardrail.of(fn) for fn in (origin_tls_where_certified, every_vpc_default_group_managed,
                                     cloudfront_web_acl_logged, distribution_access_logged,
                                     alb_internal_behind_vpc_origin))


def stack_violations(resources: Sequence[tuple[str, Props]]) -> list[tuple[str, str]]:
    """(rule name, message) for every whole-stack guardrail the resources break."""
    resources = [(t, unsecret(p)) for t, p in resources]
    return [(g.name, msg) for g in STACK_GUARDRAILS for msg in g.check(resources)]


def violations(resource_type: str, props: Props) -> list[tuple[str, str]]:
    """(rule name, message) for every guardrail this resource breaks."""
    props = unsecret(props)
    return [(g.name, msg) for g in GUARDRAILS for msg in g.check(resource_type, props)]
