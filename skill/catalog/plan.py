"""What a build will do to a catalog, decided before anything is written.

A catalog remembers its sources (:class:`skill.catalog.store.CatalogSource`: an images folder,
its CSV and column mapping). Building one source into a catalog does one of four things:

- ``create``: the catalog does not exist yet; it becomes this source.
- ``add``: a folder the catalog does not have is added beside its sources. Item ids stay unique across sources: a row whose id another source
  already has is left out with a line saying so (the rows already in the catalog win, as the
  first row wins inside one CSV).
- ``refresh``: a folder the catalog already has is read again, with the CSV and columns it
  was indexed with unless others are given: new photos are added, changed ones re-embedded,
  unchanged ones reused. Rows this source no longer lists (file deleted, row removed from the
  CSV) are kept unless ``prune`` is asked. A photo listed under another id than before (the
  CSV or its mapping changed) takes the new id; the old id counts as removed.
- ``replace``: start over; the catalog becomes this source only.

Rows leave a catalog only by an explicit choice: ``replace``, or ``prune`` (rows whose photo
file is gone, in any source, and rows the refreshed source no longer lists). A build that
would remove more than half of a catalog's rows (:data:`SHRINK_LIMIT`) also needs
``allow_shrink`` (``--allow-shrink``; a confirmation in the app), and a source with nothing to
index stops the build with a message: the catalog is never emptied by an empty or wrong folder.

Example:
    >>> plan = plan_build("photos/summer", "catalogs/spring")
    >>> print(plan.describe())
    adds folder 'summer' to the catalog: 120 new photos; 4,310 photos of 2 other sources ...
    >>> plan.needs_confirmation
    False
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from skill.catalog.source import CatalogInputError, ColumnMap, ItemTable, read_items
from skill.catalog.store import (
    SOURCE_COLUMN,
    Catalog,
    CatalogError,
    CatalogSource,
    open_catalog,
)

SHRINK_LIMIT = 0.5
"""A build that would remove more than this fraction of a catalog's rows needs
``allow_shrink``. 0.5: "most of the catalog"."""

ACTIONS = ("create", "add", "refresh", "replace")
REMOVED_COLUMNS = ["item_id", "image_path", SOURCE_COLUMN, "reason"]


class CatalogShrinkError(CatalogError):
    """A build would remove most of a catalog's rows and ``allow_shrink`` was not given.

    Attributes:
        plan: The refused :class:`BuildPlan` (``plan.removed`` lists the rows).
        what: What would be dropped, in words, without the advice on how to allow it.
    """

    def __init__(self, plan: BuildPlan) -> None:
        self.plan = plan
        self.what = plan.shrink_summary()
        super().__init__(f"{self.what}; nothing was changed (allow_shrink=True builds anyway)")


@dataclass
class BuildPlan:
    """What one build will do; made by :func:`plan_build` without writing anything.

    Attributes:
        catalog: The catalog folder.
        action: One of :data:`ACTIONS`.
        source: The source being indexed (its ``key`` as it will be in the catalog).
        sources: The catalog's sources after the build, oldest first.
        items: The rows after the build: the item columns, ``source``, and for rows already in
            the catalog their ``fingerprint`` and colour (empty for rows to read now).
        left_out: ``image_path`` and ``reason`` of every entry of the source not indexed
            (unreadable rows, files that are not photos, ids another source has).
        existing: Rows in the catalog now.
        added: Rows new to the catalog.
        updated: Rows of this source already in the catalog, read again (only changed photos
            are embedded again).
        kept: Rows this source no longer lists, kept because ``prune`` was not asked.
        removed: Rows the build drops (``item_id``, ``image_path``, ``source``, ``reason``).
    """

    catalog: Path
    action: str
    source: CatalogSource
    sources: list[CatalogSource]
    items: pd.DataFrame
    left_out: pd.DataFrame
    existing: int
    added: int
    updated: int
    kept: pd.DataFrame
    removed: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REMOVED_COLUMNS))

    @property
    def after(self) -> int:
        """Rows in the catalog after the build (before photos that fail to decode)."""
        return len(self.items)

    @property
    def needs_confirmation(self) -> bool:
        """Whether the build removes more than :data:`SHRINK_LIMIT` of the catalog's rows."""
        return self.existing > 0 and len(self.removed) > SHRINK_LIMIT * self.existing

    def describe(self) -> str:
        """What the build will do, in one or two sentences (the CLI's ``--dry-run``, the app)."""
        where = self.source.describe()
        others = self.after - len(self.source_rows())
        n_other_sources = len(self.sources) - 1
        if self.action == "create":
            text = f"creates the catalog from {where}: {self.added:,} photos"
        elif self.action == "replace":
            text = (
                f"replaces the catalog ({self.existing:,} photos) with {where}: "
                f"{self.after:,} photos ({self.added:,} new, {self.updated:,} kept by id)"
            )
        elif self.action == "add":
            text = f"adds {where} to the catalog: {self.added:,} new photos"
        else:
            text = (
                f"refreshes {where}: {self.added:,} new photos, {self.updated:,} read again "
                "(only changed photos are embedded again)"
            )
            if len(self.kept):
                text += f", {len(self.kept):,} it no longer lists kept (prune removes them)"
        if self.action in ("add", "refresh") and others:
            text += (
                f"; {others:,} photos of {n_other_sources} other "
                f"source{'s' if n_other_sources != 1 else ''} kept"
            )
        if len(self.removed):
            text += f"; removes {len(self.removed):,} photos"
        if len(self.left_out):
            text += f"; {len(self.left_out):,} entries of the source left out"
        text += f". {self.existing:,} -> {self.after:,} photos."
        if self.needs_confirmation:
            text += " Needs confirmation: it drops more than half of the catalog."
        return text

    def source_rows(self) -> pd.DataFrame:
        """The rows of the indexed source after the build."""
        return self.items[self.items[SOURCE_COLUMN] == self.source.key]

    def shrink_summary(self) -> str:
        """What would be dropped, e.g. for :class:`CatalogShrinkError`."""
        reasons = self.removed["reason"].value_counts()
        why = ", ".join(f"{count:,} {reason}" for reason, count in reasons.items())
        examples = ", ".join(self.removed["item_id"].head(3).tolist())
        return (
            f"this build would remove {len(self.removed):,} of the catalog's "
            f"{self.existing:,} photos, more than half ({why}; e.g. {examples})"
        )


def plan_build(
    images_dir: str | os.PathLike,
    catalog_dir: str | os.PathLike,
    csv_path: str | os.PathLike | None = None,
    columns: ColumnMap = ColumnMap(),
    replace: bool = False,
    prune: bool = False,
) -> BuildPlan:
    """What building ``images_dir`` (and ``csv_path``) into ``catalog_dir`` would do.

    Reads the source's listing (and CSV) and the live catalog's tables; decodes no photo and
    writes nothing, so it is quick enough to show before a build (a folder of 10,000 photos
    takes well under a second).

    Args:
        images_dir: Folder of photos.
        catalog_dir: Catalog folder (need not exist).
        csv_path: Optional label CSV.
        columns: CSV column names.
        replace: Start over: the catalog becomes this source only.
        prune: Remove rows whose photo file is gone and rows this source no longer lists.

    Returns:
        A :class:`BuildPlan`.

    Raises:
        CatalogInputError: The folder or CSV cannot be read, or the source has nothing to
            index (the message says why; the catalog is not touched).
    """
    images_root = Path(images_dir).resolve()
    previous = try_open(Path(catalog_dir))
    csv_path, columns = source_inputs(previous, images_root, csv_path, columns)
    table = read_items(images_root, csv_path, columns)
    return plan_from_table(
        table, previous, Path(catalog_dir), images_dir, csv_path, columns, replace, prune
    )


def source_inputs(
    catalog: Catalog | None,
    images_dir: str | os.PathLike,
    csv_path: str | os.PathLike | None,
    columns: ColumnMap,
) -> tuple[str | os.PathLike | None, ColumnMap]:
    """The CSV and columns to read ``images_dir`` with: those given, or, when no CSV is given
    for a folder the catalog already has, the CSV and columns it was indexed with."""
    if csv_path is not None or catalog is None:
        return csv_path, columns
    for source in catalog.sources:
        if source.matches(images_dir) and source.csv is not None:
            known = {k: v for k, v in source.columns.items() if k in ColumnMap.__dataclass_fields__}
            return source.csv, ColumnMap(**known)
    return csv_path, columns


def plan_from_table(
    table: ItemTable,
    previous: Catalog | None,
    catalog_dir: Path,
    images_dir: str | os.PathLike,
    csv_path: str | os.PathLike | None,
    columns: ColumnMap,
    replace: bool,
    prune: bool,
) -> BuildPlan:
    """:func:`plan_build` over a source already read and a catalog already opened."""
    images_root = Path(images_dir).resolve()
    csv = Path(csv_path).resolve() if csv_path else None
    incoming = table.items.copy()
    left_out = table.problems[["image_path", "reason"]].copy()
    if incoming.empty:
        raise CatalogInputError(nothing_to_index(images_dir, csv, left_out))
    given = {name: value for name, value in asdict(columns).items() if value is not None}
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    old = previous.items if previous is not None else pd.DataFrame(columns=[SOURCE_COLUMN])
    old_sources = previous.sources if previous is not None else []
    removed = [pd.DataFrame(columns=REMOVED_COLUMNS)]
    kept = old.iloc[0:0]

    if previous is None or replace:
        key = "s1"
        action = "create" if previous is None else "replace"
        others = old.iloc[0:0]
        dropped = old[~old["item_id"].isin(incoming["item_id"])] if len(old) else old
        removed.append(_removed(dropped, "replaced (not in the new source)"))
        source = CatalogSource(key, images_root, csv, given, indexed=now)
        sources = [source]
    else:
        match = next((s for s in old_sources if s.matches(images_root)), None)
        key = match.key if match else next_source_key(old_sources)
        action = "refresh" if match else "add"
        source = CatalogSource(key, images_root, csv, given, indexed=now)
        sources = [source if s.key == key else s for s in old_sources]
        if match is None:
            sources.append(source)
        others = old[old[SOURCE_COLUMN] != key]
        own_old = old[old[SOURCE_COLUMN] == key]
        owner = dict(zip(others["item_id"], others[SOURCE_COLUMN], strict=True))
        folders = {s.key: s.images_dir.name for s in old_sources}
        clash = incoming["item_id"].isin(list(owner))
        left_out = pd.concat(
            [
                left_out,
                pd.DataFrame(
                    {
                        "image_path": incoming.loc[clash, "image_path"],
                        "reason": [
                            f"id {i!r} is already in the catalog, from folder "
                            f"{folders.get(owner[i], '?')!r}; left out (ids are unique in a "
                            "catalog)"
                            for i in incoming.loc[clash, "item_id"]
                        ],
                    }
                ),
            ],
            ignore_index=True,
        )
        incoming = incoming[~clash]
        if incoming.empty:
            raise CatalogInputError(
                f"nothing to index in {_name(images_dir)!r}: every item id it has is already in "
                "the catalog from another source (ids are unique in a catalog); the catalog is "
                "unchanged"
            )
        same_id = own_old["item_id"].isin(incoming["item_id"])
        new_id = ~same_id & own_old["image_path"].isin(incoming["image_path"])
        removed.append(_removed(own_old[new_id], "listed under another id now"))
        missing = own_old[~same_id & ~new_id]
        if prune:
            removed.append(_removed(missing, "no longer in its source"))
            roots = {s.key: s.images_dir for s in old_sources}
            gone = [
                not (roots.get(s, images_root) / rel).is_file()
                for s, rel in zip(others[SOURCE_COLUMN], others["image_path"], strict=True)
            ]
            gone = pd.Series(gone, index=others.index, dtype=bool)
            removed.append(_removed(others[gone], "photo file gone"))
            others = others[~gone]
        else:
            kept = missing

    incoming = incoming.assign(**{SOURCE_COLUMN: key})
    own = pd.concat([incoming, kept], ignore_index=True)
    order = [s.key for s in sources]
    items = pd.concat(
        [own if k == key else others[others[SOURCE_COLUMN] == k] for k in order],
        ignore_index=True,
    )
    for column in ("fingerprint", "color_hex", "color_name"):
        if column not in items:
            items[column] = ""
    items = items.fillna("")
    known = set(old["item_id"]) if len(old) else set()
    return BuildPlan(
        catalog=catalog_dir,
        action=action,
        source=source,
        sources=sources,
        items=items.reset_index(drop=True),
        left_out=left_out.reset_index(drop=True),
        existing=len(old),
        added=int((~incoming["item_id"].isin(known)).sum()),
        updated=int(incoming["item_id"].isin(known).sum()),
        kept=kept.reset_index(drop=True),
        removed=pd.concat(removed, ignore_index=True),
    )


def nothing_to_index(images_dir, csv: Path | None, left_out: pd.DataFrame) -> str:
    """The message of a source with no usable photo, with the first reasons."""
    what = "the CSV lists no usable photo" if csv else "no photo found"
    text = f"nothing to index in {_name(images_dir)!r}: {what}"
    if len(left_out):
        reasons = "; ".join(
            f"{path or '(no path)'}: {reason}"
            for path, reason in left_out[["image_path", "reason"]].head(3).values
        )
        more = f", and {len(left_out) - 3:,} more" if len(left_out) > 3 else ""
        text += f" ({len(left_out):,} entries left out: {reasons}{more})"
    return text + "; the catalog is unchanged"


def next_source_key(sources: list[CatalogSource]) -> str:
    """A key no source has: ``s<n+1>``."""
    numbers = [int(s.key[1:]) for s in sources if s.key[1:].isdigit()]
    return f"s{max(numbers, default=0) + 1}"


def try_open(path: Path) -> Catalog | None:
    """The live catalog at ``path``, or ``None`` when there is none (or it is unreadable)."""
    try:
        return open_catalog(path)
    except CatalogError:
        return None


def _removed(rows: pd.DataFrame, reason: str) -> pd.DataFrame:
    frame = rows.reindex(columns=REMOVED_COLUMNS[:-1]).fillna("").reset_index(drop=True)
    frame["reason"] = reason
    return frame


def _name(images_dir) -> str:
    """The folder's name: messages never show where on the server a folder lives."""
    return Path(images_dir).name or str(images_dir)
