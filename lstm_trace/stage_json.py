"""One stage of a step as JSON: the values its table shows, nested as in the lstm-trace/1 contract.

`{"format": "lstm-trace-stage/1", "stage": "forget", "t": 1, "equation": ...,
  "forget": {"wz": [...], "bias": [...], "preact": [...], "act": [...]}}`

so `stage["forget"]["act"]` is the very list `trace["steps"][0]["forget"]["act"]` holds.
"""

from __future__ import annotations

import json
from typing import Any

from .stages import Stage
from .trace import StepTrace

FORMAT = "lstm-trace-stage/1"


def stage_to_dict(stage: Stage, step: StepTrace) -> dict[str, Any]:
    content: dict[str, Any] = {
        "format": FORMAT, "stage": stage.name, "title": stage.title, "equation": stage.equation, "t": step.t,
    }  # fmt: skip
    for name in stage.columns:
        value = step[name]
        if value is None:
            continue
        head, _, part = name.partition(".")
        if part:
            content.setdefault(head, {})[part] = value.tolist()
        else:
            content[head] = value.tolist()
    return content


def dumps_readable(content: dict[str, Any]) -> str:
    """JSON with one key per line and each list on its own line: a person can read it, a program can parse it."""
    lines = ["{"]
    for number, (key, value) in enumerate(content.items()):
        comma = "," if number < len(content) - 1 else ""
        if isinstance(value, dict):
            lines.append(f"  {json.dumps(key)}: {{")
            for inner, (part, values) in enumerate(value.items()):
                inner_comma = "," if inner < len(value) - 1 else ""
                lines.append(f"    {json.dumps(part)}: {json.dumps(values, allow_nan=False)}{inner_comma}")
            lines.append(f"  }}{comma}")
        else:
            lines.append(f"  {json.dumps(key, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False, allow_nan=False)}{comma}")
    lines.append("}")
    return "\n".join(lines)
