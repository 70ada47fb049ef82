"""Files shipped with the package (JSON Schemas)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, cast

# reconciler/schemas (beside this package) is a link to the top-level schemas/ folder, so the schemas
# have one source and still ship inside the wheel.
_SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Load ``schemas/<name>.schema.json``."""
    path = _SCHEMAS / f"{name}.schema.json"
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))
