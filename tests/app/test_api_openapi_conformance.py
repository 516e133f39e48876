"""The OpenAPI document is true: schemathesis finds no 5xx and no schema violation.

Driven operation by operation with hypothesis directly (schemathesis' own pytest
plugin does not load under pytest 9), in positive and negative generation modes.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from app.openapi import SPEC

EXAMPLES = 20
# Negative mode needs an input to break: operations without parameters or body get
# positive cases only.
CASES = [
    (path, method, mode)
    for path, item in SPEC["paths"].items()
    for method, operation in item.items()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE
    or operation.get("parameters")
    or operation.get("requestBody")
]


@pytest.mark.parametrize(
    ("path", "method", "mode"), CASES, ids=[f"{m} {p} {mode.value}" for p, m, mode in CASES]
)
def test_operation_conforms_to_the_spec(
    app: Any, path: str, method: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def conforms(case: Any) -> None:
        case.call_and_validate()

    conforms()
