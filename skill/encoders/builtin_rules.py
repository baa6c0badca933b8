"""Same-design rules of the built-in encoders, which have no ``config.json`` to carry one.

They live in ``assets/encoders/builtin-same-design.json``, one record per built-in encoder
name, written by ``python -m skill calibrate --encoder <built-in> --write``. A catalog built
with a built-in encoder keeps its rule (see :mod:`skill.catalog.same_design`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from skill.paths import ASSETS_ENCODERS

RULES_FILE = ASSETS_ENCODERS / "builtin-same-design.json"


@lru_cache(maxsize=1)
def _read() -> dict[str, Any]:
    try:
        records = json.loads(RULES_FILE.read_text())
    except (OSError, ValueError):
        return {}
    return records if isinstance(records, dict) else {}


def builtin_rule(name: str) -> dict[str, Any] | None:
    """The rule record of a built-in encoder, or None."""
    record = _read().get(name)
    return dict(record) if isinstance(record, dict) else None


def write_builtin_rule(name: str, record: dict[str, Any]) -> None:
    """Stores a built-in encoder's rule record (the file is rewritten atomically)."""
    records = dict(_read())
    records[name] = record
    staging = RULES_FILE.with_suffix(".tmp")
    staging.write_text(json.dumps(records, indent=1, sort_keys=True, allow_nan=False) + "\n")
    staging.replace(RULES_FILE)
    _read.cache_clear()
