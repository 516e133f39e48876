"""The replay's layers: translators take a typed Ctx, neither they nor the cross-resource
checks import the engine, and the checks the mutation suite does not reach still report."""

from __future__ import annotations

import ast
import json
import typing
from pathlib import Path

import pytest
from replay_paths import FIXTURES, REPO_ROOT

from replay import run_program
from replay.context import Ctx, InvokeCtx
from replay.registry import INVOKES, RESOURCES, load_all

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

REPLAY = REPO_ROOT / "replay"


def _runtime_imports(path: Path) -> set[str]:
    """Modules a file imports when it runs (an `if TYPE_CHECKING:` block is left out),
    as dotted names relative to the replay package where the import is relative."""
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
                   for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            found.add(node.module or "")
            found |= {f"{node.module or ''}.{a.name}".lstrip(".") for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


@pytest.mark.parametrize("path", sorted([*REPLAY.glob("services/*.py"), *REPLAY.glob("checks/*.py"),
                                         REPLAY / "context.py", REPLAY / "registry.py"]),
                         ids=lambda p: str(p.relative_to(REPLAY)))
def test_translators_and_checks_do_not_import_the_engine(path: Path):
    engine = [m for m in _runtime_imports(path) if "engine" in m.split(".")]
    assert engine == [], f"{path.name} imports the engine at run time: {engine}"


def test_every_translator_takes_a_ctx_and_every_invoke_an_invoke_ctx():
    load_all()
    for token, fn in RESOURCES.items():
        hints = typing.get_type_hints(fn)
        assert hints.get("ctx") is Ctx and hints.get("return") is dict, (token, hints)
    for token, fn in INVOKES.items():
        assert typing.get_type_hints(fn).get("ctx") is InvokeCtx, token


def _policy_source_arn(arn: str):
    def mutate(inputs: dict) -> dict:
        doc = json.loads(inputs["policy"])
        doc["Statement"][0]["Condition"]["StringEquals"]["AWS:SourceArn"] = arn
        return {**inputs, "policy": json.dumps(doc)}
    return mutate


def _origin_access_control(oac: str):
    def mutate(inputs: dict) -> dict:
        inputs["origins"][0]["originAccessControlId"] = oac
        return inputs
    return mutate


def test_references_to_nothing_in_the_stack_are_reported():
    """Key group items, an origin's OAC and a bucket policy's SourceArn must name resources of
    the stack (replay/checks/cloudfront.py, replay/checks/s3.py)."""
    other = "arn:aws:cloudfront::123456789012:distribution/EOTHER1234567"
    result = run_program(FIXTURES, "test", mutators={
        "fx-key-group": lambda i: {**i, "items": [*i["items"], "KNOSUCHKEY1234"]},
        "fx-cdn": _origin_access_control("ENOSUCHOAC1234"),
        "fx-media-policy": _policy_source_arn(other),
    })
    found = {(p.name, p.path): p.message for p in result.problems}
    assert "not a public key of this stack" in found[("fx-key-group", "items[1]")]
    assert "not an origin access control of this stack" in \
        found[("fx-cdn", "origins[0].originAccessControlId")]
    assert "not a distribution of this stack" in \
        found[("fx-media-policy", "policy.Statement[0].Condition")]
