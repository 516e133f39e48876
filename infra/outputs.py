"""The stack outputs: the names the Pulumi program exports, and the one way to read them.

`infra/__main__.py` exports every value under a constant of this module; the publisher
(`python -m media publish`), `python -m loadtest.verify` and the real-AWS test read a
deployed stack through `read_stack_outputs()` and the same constants, so a renamed output
breaks at import, not at run time. Plain Python: importing it loads neither the Pulumi SDK
nor pulumi_aws (the CLI is called as a subprocess).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent

CDN_URL = "cdn_url"  # the viewer URL: https://<domainName> or https://<id>.cloudfront.net
API_HEALTH_URL = "api_health_url"  # CDN_URL + the health-check path, through the edge
MEDIA_BUCKET = "media_bucket"  # the private S3 origin's bucket name
DISTRIBUTION_ID = "distribution_id"  # CloudFront distribution id (invalidations)
ALB_DNS_NAME = "alb_dns_name"  # the ALB's *.elb.amazonaws.com name
ALB_URL = "alb_url"  # scheme + name CloudFront uses to reach the ALB
ASG_NAME = "asg_name"  # the API fleet's Auto Scaling group (the catalog service's, dedicated)
# {service: its Auto Scaling group's name} (one name for all four with serviceLayout
# shared); a mapping, so not in EXPORTED: read it from read_stack_outputs() itself.
SERVICE_ASG_NAMES = "service_asg_names"
TABLE_NAME = "table_name"  # the plays table (DynamoDB)
SIGNING_SECRET_NAME = "signing_secret_name"  # Secrets Manager secret with the signing key
KEY_PAIR_ID = "key_pair_id"  # CloudFront public key id that signed cookies name
WEB_ACL_ARN = "web_acl_arn"  # the WAF web ACL; exported only when edgeflix:wafEnabled
USER_POOL_ID = "user_pool_id"  # the viewers' Cognito user pool
USER_POOL_CLIENT_ID = "user_pool_client_id"  # its public app client (the player's)
# The staging distribution; exported only with edgeflix:stagingMode (not in EXPORTED).
STAGING_DISTRIBUTION_ID = "staging_distribution_id"

EXPORTED = (CDN_URL, API_HEALTH_URL, MEDIA_BUCKET, DISTRIBUTION_ID, ALB_DNS_NAME, ALB_URL,
            ASG_NAME, TABLE_NAME, SIGNING_SECRET_NAME, KEY_PAIR_ID, WEB_ACL_ARN, USER_POOL_ID,
            USER_POOL_CLIENT_ID)
READ_TIMEOUT_SECONDS = 120.0  # `pulumi stack output` may have to reach a remote backend


class StackOutputsUnavailable(RuntimeError):
    """The stack's outputs cannot be read; the message says why and what to do."""


def read_stack_outputs(stack: str | None = None, *, cwd: Path = REPO_ROOT,
                       timeout: float = READ_TIMEOUT_SECONDS) -> dict[str, Any]:
    """`pulumi stack output --json` of `stack` (default: the selected stack), as a dict.

    Raises StackOutputsUnavailable when the pulumi CLI is missing, the command fails or
    times out after `timeout` seconds, or prints something other than a JSON object.
    """
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise StackOutputsUnavailable(
            "the pulumi CLI is not on PATH, so stack outputs cannot be read")
    command = [pulumi, "stack", "output", "--json"] + (["--stack", stack] if stack else [])
    shown = " ".join(["pulumi", *command[1:]])
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              cwd=cwd)
    except subprocess.TimeoutExpired:
        raise StackOutputsUnavailable(f"`{shown}` gave no answer in {timeout:.0f} s") from None
    except OSError as exc:
        raise StackOutputsUnavailable(f"`{shown}` could not run: {exc}") from None
    if proc.returncode != 0:
        reason = proc.stderr.strip()[:300] or f"exit status {proc.returncode}"
        raise StackOutputsUnavailable(f"`{shown}` failed: {reason}")
    try:
        outputs = json.loads(proc.stdout or "{}")
    except ValueError:
        raise StackOutputsUnavailable(f"`{shown}` printed no JSON") from None
    if not isinstance(outputs, dict):
        raise StackOutputsUnavailable(f"`{shown}` printed {type(outputs).__name__}, "
                                      "not an object")
    return outputs


def output(outputs: Mapping[str, Any], name: str) -> str | None:
    """One exported value as text, or None when the stack lacks it (or it is empty).

    `name` must be one of the constants above; anything else is a programming error
    (ValueError), so a reader cannot ask for a name the program never exports.
    """
    if name not in EXPORTED:
        raise ValueError(f"{name!r} is not a stack output of this program; exported: "
                         f"{sorted(EXPORTED)}")
    value = outputs.get(name)
    return str(value) if value not in (None, "") else None
