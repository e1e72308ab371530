"""One stage of a step as JSON: the values its table shows, nested as in the lstm-trace/1 contract.

`{"format": "lstm-trace-stage/1", "stage": "forget", "t": 1, "equation": ...,
  "forget": {"wz": [...], "bias": [...], "preact": [...], "act": [...]}}`

so `stage["forget"]["act"]` is the very list `trace["steps"][0]["forget"]["act"]` holds.
"""

from __future__ import annotations

import json
from typing import Any

from ..stages import Stage
from ..traces.step import StepTrace
from .trace_json import step_to_dict

FORMAT = "lstm-trace-stage/1"


def stage_to_dict(stage: Stage, step: StepTrace) -> dict[str, Any]:
    content: dict[str, Any] = {"format": FORMAT, "stage": stage.name, "title": stage.title, "equation": stage.equation}
    content.update(step_to_dict(step, stage.columns))  # "t" and the stage's values
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
