"""What every tab gets from the sidebar: the open catalog and the chosen encoder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a type only: the first page imports no more of skill than it uses
    from skill.catalog.store import Catalog


@dataclass(frozen=True)
class Context:
    """The sidebar's choices.

    Attributes:
        catalog: The open catalog, or ``None`` when there is none yet.
        catalog_name: Its name in the sidebar (``""`` without a catalog).
        encoder: The chosen encoder, one of ``catalog.encoders`` (``None`` without a catalog).
    """

    catalog: Catalog | None
    catalog_name: str
    encoder: str | None
