"""`make rotate-signing-key`: rotate the CloudFront signing key without breaking a live grant.

The stack keeps two key slots, both trusted by the key group (infra/signing.py).
One rotation is two steps, each a stack-config change plus `pulumi up`:

1. **switch** (`STEP=switch`): `signingKeyCurrent` flips to the other slot, whose
   public key has been in the key group since the previous rotation (the *add*
   step happened then). The API re-reads its secret every
   `EDGEFLIX_SIGNING_KEY_REFRESH_SECONDS` (app/settings.py), so within that bound
   every new grant names the new key; cookies signed before still verify against
   the old key, which stays in the group.
2. **retire** (`STEP=retire`), no earlier than the longest grant after the switch:
   refresh interval + `signedCookieTtl` + the signer's rounding window
   (`signedCookieTtl // 10`, app/signing.py). It bumps the old slot's generation:
   its key pair is replaced by a fresh one, which leaves the key group's trust
   (retire) and is staged as the next key (add) for the following rotation.

The switch time is recorded in `.cache/rotation-<stack>.json` so `retire` refuses to
run early. Without `--apply` the commands are printed, not run.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from app.settings import Settings
from infra.config import NAMESPACE, REPO_ROOT, StackConfig, load_stack

STATE_DIR = REPO_ROOT / ".cache"


@dataclass(frozen=True)
class Step:
    """One rotation step: the stack-config values it sets and when it may run."""

    name: str
    config: dict[str, str]
    not_before: float  # epoch seconds


def longest_grant_seconds(cfg: StackConfig, refresh_seconds: float) -> int:
    """Seconds from a switch until no live cookie names the old key.

    A worker may sign with the old key for up to `refresh_seconds` after the switch;
    such a cookie expires within `signedCookieTtl` plus one rounding window
    (`signedCookieTtl // 10`, PlaybackCookieSigner). Renewals sign with the key
    current at renewal time, so they do not extend an old-key grant.
    """
    return int(refresh_seconds) + cfg.signed_cookie_ttl + max(1, cfg.signed_cookie_ttl // 10)


def switch_step(cfg: StackConfig, now: float) -> Step:
    """Make the other slot current (its public key is already trusted)."""
    other = "b" if cfg.signing_key_current == "a" else "a"
    return Step("switch", {"signingKeyCurrent": other}, now)


def retire_step(cfg: StackConfig, switched_at: float | None, refresh_seconds: float) -> Step:
    """Replace the non-current slot's key, once the longest grant since the switch has passed.

    Raises ValueError when no switch was recorded for this stack.
    """
    if switched_at is None:
        raise ValueError("no switch recorded for this stack: run STEP=switch first")
    old = "b" if cfg.signing_key_current == "a" else "a"
    generation = (cfg.signing_key_generation_a if old == "a" else cfg.signing_key_generation_b)
    key = f"signingKeyGeneration{old.upper()}"
    return Step("retire", {key: str(generation + 1)},
                switched_at + longest_grant_seconds(cfg, refresh_seconds))


def commands(stack: str, step: Step) -> list[list[str]]:
    """The pulumi commands that apply a step."""
    sets = [["pulumi", "config", "set", "--stack", stack, f"{NAMESPACE}:{key}", value]
            for key, value in step.config.items()]
    return [*sets, ["pulumi", "up", "--stack", stack, "--policy-pack", "infra/policy",
                    "--yes"]]


def _state_file(stack: str) -> Path:
    return STATE_DIR / f"rotation-{stack}.json"


def main(argv: list[str] | None = None) -> int:
    """CLI: `python -m infra.rotation --stack dev switch|retire [--apply]`."""
    parser = argparse.ArgumentParser(prog="python -m infra.rotation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["switch", "retire"])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--apply", action="store_true", help="run the commands (else print)")
    args = parser.parse_args(argv)
    cfg = load_stack(args.stack)
    refresh = Settings().signing_key_refresh_seconds
    now = time.time()
    state = _state_file(args.stack)
    if args.step == "switch":
        step = switch_step(cfg, now)
    else:
        switched_at = json.loads(state.read_text())["switched_at"] if state.exists() else None
        try:
            step = retire_step(cfg, switched_at, refresh)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        if now < step.not_before:
            print(f"too early: live grants may still name the old key; retire after "
                  f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(step.not_before))}",
                  file=sys.stderr)
            return 2
    for command in commands(args.stack, step):
        print(shlex.join(command))
        if args.apply:
            subprocess.run(command, check=True, cwd=REPO_ROOT)
    if args.apply and step.name == "switch":
        STATE_DIR.mkdir(exist_ok=True)
        state.write_text(json.dumps({"switched_at": now}))
        wait = longest_grant_seconds(cfg, refresh)
        print(f"switched; retire in {wait} s or later: make rotate-signing-key STEP=retire")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
