"""IAM / resource policy documents: valid JSON, known shape, real actions.

Actions are checked against botocore's service models: the prefix must be a
service's IAM prefix and the action (wildcards allowed) must match one of its
operations, or one of the few IAM-only actions listed below.
"""

from __future__ import annotations

import fnmatch
import json
from functools import cache
from typing import Any

from . import awsmodel

# IAM action prefixes that differ from every botocore name, and IAM-only actions
# (permissions with no API operation of the same name).
EXTRA_PREFIXES = {"ssmmessages": set(), "ec2messages": set(), "iam": set(), "sts": set()}
IAM_ONLY_ACTIONS = {
    "s3": {"ListBucket", "ListBucketVersions", "ListBucketMultipartUploads", "GetObjectVersion",
           "DeleteObjectVersion", "GetObjectVersionTagging", "ListAllMyBuckets",
           "PutObjectVersionAcl", "GetObjectVersionAcl", "ListMultipartUploadParts",
           "GetBucketObjectLockConfiguration", "PutBucketObjectLockConfiguration",
           # replication, lifecycle, encryption and ACL permissions named unlike their APIs
           "GetReplicationConfiguration", "PutReplicationConfiguration",
           "GetObjectVersionForReplication", "ReplicateObject", "ReplicateDelete",
           "ReplicateTags", "ObjectOwnerOverrideToBucketOwner", "GetLifecycleConfiguration",
           "PutLifecycleConfiguration", "GetEncryptionConfiguration",
           "PutEncryptionConfiguration", "GetObjectVersionAttributes", "GetBucketPolicyStatus",
           "PutAccountPublicAccessBlock", "GetAccountPublicAccessBlock",
           "GetMetricsConfiguration", "PutMetricsConfiguration", "GetInventoryConfiguration",
           "PutInventoryConfiguration", "GetAnalyticsConfiguration", "PutAnalyticsConfiguration",
           "BypassGovernanceRetention", "GetObjectLegalHold", "PutObjectLegalHold"},
    "cloudfront": {"ListDistributionsByWebACLId"},
    "ec2messages": {"AcknowledgeMessage", "DeleteMessage", "FailMessage", "GetEndpoint",
                    "GetMessages", "SendReply"},
    "ssmmessages": {"CreateControlChannel", "CreateDataChannel", "OpenControlChannel",
                    "OpenDataChannel"},
    "logs": {"Link"},
    "iam": {"PassRole"},
    "sts": {"TagSession", "SetSourceIdentity"},
}
STATEMENT_KEYS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                  "Resource", "NotResource", "Condition"}


# IAM prefix -> botocore services whose operations it covers, where the names differ.
PREFIX_SERVICES = {"elasticloadbalancing": ("elbv2", "elb"), "monitoring": ("cloudwatch",),
                   "states": ("stepfunctions",), "execute-api": ("apigateway",),
                   "es": ("es", "opensearch"), "lambda": ("lambda",)}


@cache
def actions_for(prefix: str) -> frozenset[str] | None:
    """Operations an IAM prefix covers; None if no service uses the prefix."""
    prefix = prefix.lower()
    names: set[str] = set(IAM_ONLY_ACTIONS.get(prefix, ()))
    known = prefix in EXTRA_PREFIXES or prefix in IAM_ONLY_ACTIONS
    services = set(PREFIX_SERVICES.get(prefix, ()))
    if prefix in awsmodel.available_services():
        services.add(prefix)
    if not services and not known:
        services = {s for s, p in _all_prefixes().items() if prefix in p}
    for service in services:
        names.update(awsmodel.operation_names(service))
    return frozenset(names) if (services or known) else None


@cache
def _all_prefixes() -> dict[str, set[str]]:
    """Every service's signing and endpoint prefix (slow: loads every model; misses only)."""
    table = {}
    for service in awsmodel.available_services():
        try:
            model = awsmodel.service_model(service)
        except Exception:  # noqa: BLE001 - a broken model is not ours to report
            continue
        table[service] = {(model.signing_name or "").lower(), (model.endpoint_prefix or "").lower()}
    return table


def check_action(action: Any) -> str | None:
    if not isinstance(action, str):
        return f"action must be a string, got {action!r}"
    if action == "*":
        return None
    if ":" not in action:
        return f"{action!r} is not service:Action"
    prefix, name = action.split(":", 1)
    ops = actions_for(prefix)
    if ops is None:
        return f"{action!r}: unknown service prefix {prefix!r}"
    if any(ch in name for ch in "*?"):
        if any(fnmatch.fnmatchcase(op.lower(), name.lower()) for op in ops):
            return None
        return f"{action!r} matches no {prefix} action"
    if name.lower() in {op.lower() for op in ops}:
        return None
    return f"{action!r}: {prefix} has no action {name!r}"


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    """A parsed policy document's statements as a list (one statement object is allowed
    for the list); anything that is no object is left out."""
    st = document.get("Statement") or []
    return [st] if isinstance(st, dict) else [s for s in st if isinstance(s, dict)]


def check(document: Any, kind: str = "identity") -> list[tuple[str, str]]:
    """kind: identity | resource (needs Principal) | trust (sts:AssumeRole*)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            return [("", f"policy is not valid JSON: {exc}")]
    if not isinstance(document, dict):
        return [("", f"policy must be a JSON object, got {type(document).__name__}")]
    out: list[tuple[str, str]] = []
    if document.get("Version") not in ("2012-10-17", "2008-10-17"):
        out.append(("Version", f"{document.get('Version')!r} is not 2012-10-17"))
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        return [*out, ("Statement", "policy has no statements")]
    for i, st in enumerate(statements):
        path = f"Statement[{i}]"
        if not isinstance(st, dict):
            out.append((path, "statement must be an object"))
            continue
        for key in st:
            if key not in STATEMENT_KEYS:
                out.append((f"{path}.{key}", "unknown statement element"))
        if st.get("Effect") not in ("Allow", "Deny"):
            out.append((f"{path}.Effect", f"{st.get('Effect')!r} is not Allow or Deny"))
        actions = st.get("Action", st.get("NotAction"))
        if actions is None:
            out.append((path, "statement has no Action"))
        for j, action in enumerate(actions if isinstance(actions, list) else [actions]):
            if actions is None:
                break
            problem = check_action(action)
            if problem:
                out.append((f"{path}.Action[{j}]", problem))
        has_principal = "Principal" in st or "NotPrincipal" in st
        if kind in ("resource", "trust") and not has_principal:
            out.append((path, f"a {kind} policy statement needs a Principal"))
        if kind == "identity" and has_principal:
            out.append((f"{path}.Principal", "an identity policy cannot name a Principal"))
        if kind != "trust" and "Resource" not in st and "NotResource" not in st:
            out.append((path, "statement has no Resource"))
        condition = st.get("Condition")
        if condition is not None and not isinstance(condition, dict):
            out.append((f"{path}.Condition", "condition must be an object"))
    return out
