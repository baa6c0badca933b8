"""Which catalog rows belong to which design, as integer codes: grouping at a million rows.

Search results are grouped by design. Comparing design-id strings over every catalog row costs
tens of milliseconds per group at a million rows; this table factorises the ids once (when a
catalog is first searched) into one integer code per row plus the rows of each design in one
sorted array (compressed-sparse-row layout), so a group's rows are a slice.

Rows without a design id are their own design, keyed ``item:<item_id>``.

Example:
    >>> designs = DesignTable.from_items(catalog.items)
    >>> designs.rows(designs.codes[42])        # every row of row 42's design
    >>> designs.name(designs.codes[42])        # its design id
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class DesignTable:
    """Design code of every row and the rows of every design.

    Args:
        keys: One design key per catalog row (see :func:`design_keys`).
    """

    def __init__(self, keys: np.ndarray) -> None:
        codes, names = pd.factorize(pd.Series(keys, dtype=object), sort=False)
        self.codes = codes.astype(np.int64)
        self.names = np.asarray(names, dtype=object)
        self._order = np.argsort(self.codes, kind="stable")
        self._starts = np.searchsorted(self.codes[self._order], np.arange(len(self.names) + 1))
        self._lookup = {name: code for code, name in enumerate(self.names)}

    @classmethod
    def from_items(cls, items: pd.DataFrame) -> DesignTable:
        """The table of a catalog's item table (columns ``design_id`` and ``item_id``)."""
        return cls(design_keys(items))

    def __len__(self) -> int:
        return len(self.names)

    def rows(self, code: int) -> np.ndarray:
        """Rows of design ``code``, ascending."""
        return self._order[self._starts[code] : self._starts[code + 1]]

    def name(self, code: int) -> str:
        return str(self.names[code])

    def code(self, name: str) -> int | None:
        """The code of design ``name``, or ``None`` when no row has it."""
        return self._lookup.get(str(name))


ITEM_PREFIX = "item:"
"""Key prefix of a row with no design id: the row is its own design, ``item:<item_id>``."""


def design_keys(items: pd.DataFrame) -> np.ndarray:
    """The design key of every row, shape (n,).

    The design id where there is one; ``item:<item_id>`` where it is empty or the table has no
    ``design_id`` column (the row number stands in for a missing ``item_id`` column).
    """
    n = len(items)
    ids = (
        items["item_id"].astype(str).to_numpy() if "item_id" in items else np.arange(n).astype(str)
    )
    own = np.char.add(ITEM_PREFIX, ids.astype(str)) if n else np.array([], dtype=str)
    if "design_id" not in items:
        return own.astype(object)
    designs = items["design_id"].astype(str).to_numpy()
    return np.where(designs == "", own, designs).astype(object)


def design_label(key: str) -> str:
    """How a design key reads to a person: the design id, or the item id of a lone item."""
    return str(key).removeprefix(ITEM_PREFIX)
