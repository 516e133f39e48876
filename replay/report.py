"""Render a replay Result: the resource tree, counts by type, problems; text or JSON."""

from __future__ import annotations

import json
from typing import Any

from .runner import Result


def _short_type(type_: str) -> str:
    return type_.split(":")[-1] if type_.count(":") == 2 else type_


def to_dict(result: Result) -> dict[str, Any]:
    by_urn = {r.urn: r for r in result.records}
    return {
        "project": result.project,
        "stack": result.stack,
        "program": str(result.program),
        "seconds": round(result.seconds, 2),
        "resources": [
            {"type": r.type, "name": r.name, "urn": r.urn,
             "parent": by_urn[r.parent].name if r.parent in by_urn else None,
             "component": not r.custom, "id": r.id, "summary": r.summary}
            for r in sorted(result.records, key=lambda r: r.urn)],
        "counts": result.counts(),
        "invokes": sorted(set(result.invokes)),
        "notes": result.notes,
        "problems": [p.to_dict() for p in sorted(result.problems, key=str)],
        "ok": not result.problems,
    }


def to_json(result: Result) -> str:
    return json.dumps(to_dict(result), indent=2, default=str)


def to_text(result: Result) -> str:
    lines = [f"replay of {result.program} (project {result.project}, stack {result.stack}) "
             f"in {result.seconds:.1f}s", ""]
    children: dict[str, list] = {}
    urns = {r.urn for r in result.records}
    for r in result.records:
        parent = r.parent if r.parent in urns else ""
        children.setdefault(parent, []).append(r)

    def walk(parent: str, depth: int) -> None:
        # Sorted, not in registration order (threads make that vary): plans diff cleanly.
        for r in sorted(children.get(parent, []), key=lambda r: (r.custom, r.type, r.name)):
            label = f"{'  ' * depth}{_short_type(r.type)} {r.name}"
            detail = r.summary or ("" if not r.custom else r.id)
            if not r.custom:
                label += f"  [{r.type}]"
            lines.append(f"{label}  {detail}".rstrip())
            walk(r.urn, depth + 1)

    walk("", 0)
    lines += ["", f"{len(result.resources)} resources "
                  f"({len(result.records) - len(result.resources)} components):"]
    for type_, n in result.counts().items():
        lines.append(f"  {n:3d}  {type_}")
    lines.append("")
    if result.notes:
        lines.append(f"{len(result.notes)} note(s) (moto limits, not problems):")
        lines += [f"  * {n}" for n in result.notes]
        lines.append("")
    if result.problems:
        lines.append(f"{len(result.problems)} problem(s):")
        lines += [f"  - {p}" for p in sorted(result.problems, key=str)]
    else:
        lines.append("0 problems")
    return "\n".join(lines)
