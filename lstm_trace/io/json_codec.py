"""JSON bytes for traces: orjson (the `fast` extra) when it is installed, the standard library otherwise.

Both write every float in its shortest form that reads back to the very same number,
so a trace read back holds exactly what was computed. orjson writes NumPy arrays
itself, several times faster than `json` can once they are turned into lists; for
traced sequences the JSON, not the arithmetic, is most of the work.
`LSTM_TRACE_JSON=json` forces the standard library (for comparisons and tests).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Codec:
    name: str  # "orjson" or "json"
    dumps: Callable[[Any], bytes]  # compact JSON; values may hold NumPy arrays and scalars
    loads: Callable[[bytes | str], Any]


def pick_codec() -> Codec:
    if os.environ.get("LSTM_TRACE_JSON", "").lower() != "json":
        try:
            import orjson
        except ImportError:
            pass
        else:
            option = orjson.OPT_SERIALIZE_NUMPY
            # orjson takes C-contiguous arrays only; `default` turns any other into a list.
            return Codec("orjson", lambda value: orjson.dumps(value, default=_as_list, option=option), orjson.loads)
    return Codec("json", _json_dumps, json.loads)


def _json_dumps(value: Any) -> bytes:
    return json.dumps(value, default=_as_list, allow_nan=False, separators=(",", ":")).encode()


def _as_list(value: Any) -> Any:
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
