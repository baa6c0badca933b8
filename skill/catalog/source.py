"""Reading a catalog's items: a folder of photos and an optional CSV of labels.

The result is an item table with the standard columns of :data:`ITEM_COLUMNS`, whatever the
CSV called them. Columns are mapped by :class:`ColumnMap`; unmapped ones are guessed from common
names (``product_code`` -> design, ``colour_group_name`` -> colour, ...). Without a CSV, every
image under the folder is an item whose id is its file name.

Rows that cannot be used (missing file, path outside the folder, duplicate id) are returned as
problems with a reason, never silently dropped; so is every entry of a folder read without a CSV
that is not indexed (another file type, a hidden file, a link leading outside the folder).
"""

from __future__ import annotations

import codecs
import io
import os
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from skill.images.decode import is_image_name, list_images, scan_images

ITEM_COLUMNS = ("item_id", "image_path", "design_id", "color", "category", "title", "date")
"""Standard columns; ``image_path`` is relative to the images folder, with forward slashes."""

GUESSES = {
    "image": ("image_path", "image", "path", "file", "filename", "file_name", "img"),
    "id": ("item_id", "id", "article_id", "sku", "product_id"),
    "design": ("design_id", "design", "product_code", "style_id", "style", "model_id"),
    "color": ("color", "colour", "colour_group_name", "color_name", "colour_name"),
    "category": ("category", "kind", "product_type_name", "product_type", "type"),
    "title": ("title", "prod_name", "name", "product_name"),
    "date": ("date", "launch_date", "created", "first_seen", "published"),
}


class CatalogInputError(ValueError):
    """The folder or CSV cannot be read as a catalog; the message says what to fix."""


@dataclass(frozen=True)
class ColumnMap:
    """Which CSV column holds each standard field. ``None`` means guess from common names."""

    image: str | None = None
    id: str | None = None
    design: str | None = None
    color: str | None = None
    category: str | None = None
    title: str | None = None
    date: str | None = None


@dataclass
class ItemTable:
    """Items ready to index, plus the rows that were left out and why.

    Attributes:
        items: One row per usable image, columns :data:`ITEM_COLUMNS`.
        problems: Columns ``image_path`` and ``reason``, one row per left-out entry.
        columns: The CSV column used for each standard field (for messages and manifests).
    """

    items: pd.DataFrame
    problems: pd.DataFrame
    columns: dict[str, str]


def read_csv(csv_path: str | os.PathLike) -> pd.DataFrame:
    """Reads a label CSV as text, whatever spreadsheet tool wrote it.

    The encoding is UTF-8 (with or without BOM), UTF-16 or UTF-32 (by their BOM, or UTF-16
    without one, told by where its zero bytes fall), else Latin-1. A file that still holds NUL
    bytes is not text and is refused. Tab-separated text (Excel's "Unicode Text") is read too.

    Raises:
        CatalogInputError: Missing, not text, not a CSV, or without rows; the message says
            which, in printable characters.
    """
    path = Path(csv_path)
    if not path.is_file():
        raise CatalogInputError(f"CSV not found: {path}")
    text = _decode(path.read_bytes(), path.name)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        if len(frame.columns) == 1 and "\t" in str(frame.columns[0]):
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep="\t")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise CatalogInputError(
            f"{path.name}: not a readable CSV ({_printable(str(error))})"
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise CatalogInputError(f"{path.name}: the CSV has no rows")
    return frame


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_SAVE_AS = "save it as CSV UTF-8"


def _decode(data: bytes, name: str) -> str:
    """The CSV's text (see :func:`read_csv` for the encodings tried)."""
    for bom, encoding, label in _BOMS:
        if data.startswith(bom):
            try:
                return _text(data.decode(encoding), name)
            except UnicodeDecodeError as error:
                raise CatalogInputError(
                    f"{name}: starts as {label} text but does not decode as it ({error.reason} "
                    f"at byte {error.start:,}); {_SAVE_AS}"
                ) from None
    head = data[:4096]
    if b"\x00" in head:
        pairs = len(head) // 2
        zeros_even, zeros_odd = head[0::2].count(0), head[1::2].count(0)
        if pairs and zeros_odd > 0.4 * pairs and zeros_even < 0.05 * pairs:
            encoding = "utf-16-le"
        elif pairs and zeros_even > 0.4 * pairs and zeros_odd < 0.05 * pairs:
            encoding = "utf-16-be"
        else:
            raise CatalogInputError(f"{name}: holds NUL bytes, so it is not a text CSV; {_SAVE_AS}")
        try:
            return _text(data.decode(encoding), name)
        except UnicodeDecodeError:
            raise CatalogInputError(
                f"{name}: looks like UTF-16 text without a byte-order mark but does not decode "
                f"as it; {_SAVE_AS}"
            ) from None
    try:
        return _text(data.decode("utf-8"), name)
    except UnicodeDecodeError:
        return _text(data.decode("latin-1"), name)


def _text(text: str, name: str) -> str:
    if "\x00" in text:
        raise CatalogInputError(f"{name}: holds NUL bytes, so it is not a text CSV; {_SAVE_AS}")
    return text


def _printable(text: str) -> str:
    """``text`` with control characters escaped, for a message."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def resolve_columns(frame: pd.DataFrame, mapping: ColumnMap) -> dict[str, str]:
    """Maps standard fields onto CSV columns, checking that named columns exist.

    Raises:
        CatalogInputError: A named column is missing (the message lists the columns that
            exist), or neither an image nor an id column can be found.
    """
    available = list(frame.columns)
    lower = {c.lower(): c for c in available}
    resolved: dict[str, str] = {}
    for field in fields(ColumnMap):
        named = getattr(mapping, field.name)
        if named is not None:
            if named not in frame.columns:
                raise CatalogInputError(
                    f"column {named!r} (for {field.name}) is not in the CSV; "
                    f"columns are: {_printable(', '.join(available))}"
                )
            resolved[field.name] = named
            continue
        for guess in GUESSES[field.name]:
            if guess in lower:
                resolved[field.name] = lower[guess]
                break
    if "image" not in resolved and "id" not in resolved:
        raise CatalogInputError(
            "the CSV needs an image path column (--image-col) or an id column (--id-col) "
            f"matching file names; columns are: {_printable(', '.join(available))}"
        )
    return resolved


def read_items(
    images_dir: str | os.PathLike,
    csv_path: str | os.PathLike | None = None,
    columns: ColumnMap = ColumnMap(),
) -> ItemTable:
    """Builds the item table of a catalog.

    Args:
        images_dir: Folder of photos (scanned recursively).
        csv_path: Optional CSV of labels; its image paths are relative to ``images_dir``
            (or to the CSV's folder when they are not found under ``images_dir``).
        columns: CSV column names; unset ones are guessed.

    Returns:
        An :class:`ItemTable`.
    """
    root = Path(images_dir).resolve()
    if not root.is_dir():
        raise CatalogInputError(f"images folder not found: {images_dir}")
    if csv_path is None:
        scan = scan_images(root)
        rel = [p.relative_to(root).as_posix() for p in scan.paths]
        items = pd.DataFrame({"item_id": [Path(r).stem for r in rel], "image_path": rel})
        return _finish(items, scan.left_out, {})
    frame = read_csv(csv_path)
    resolved = resolve_columns(frame, columns)
    problems: list[tuple[str, str]] = []
    if "image" in resolved:
        raw = frame[resolved["image"]].astype(str).str.strip()
    else:  # images named after their id
        by_stem = {p.stem: p.relative_to(root).as_posix() for p in list_images(root)}
        raw = frame[resolved["id"]].map(lambda i: by_stem.get(str(i).strip(), ""))
    csv_dir = Path(csv_path).resolve().parent
    image_paths = []
    for value in raw:
        image_paths.append(_safe_relative(value, root, csv_dir, problems))
    items = pd.DataFrame({"image_path": image_paths})
    items["item_id"] = (
        frame[resolved["id"]].astype(str).str.strip().values
        if "id" in resolved
        else [Path(p).stem if p else "" for p in image_paths]
    )
    for field, column in (
        ("design_id", "design"),
        ("color", "color"),
        ("category", "category"),
        ("title", "title"),
        ("date", "date"),
    ):
        if column in resolved:
            items[field] = frame[resolved[column]].astype(str).str.strip().values
    items = items[items["image_path"] != ""]
    duplicated = items["item_id"].duplicated(keep="first")
    problems += [
        (p, f"duplicate id {i!r}")
        for p, i in items.loc[duplicated, ["image_path", "item_id"]].values
    ]
    items = items[~duplicated]
    return _finish(items, problems, resolved)


def _safe_relative(value: str, root: Path, csv_dir: Path, problems: list[tuple[str, str]]) -> str:
    """Returns the image's path relative to ``root``, or '' with a problem recorded."""
    if not value:
        problems.append(("", "empty image path"))
        return ""
    if not is_image_name(value):
        problems.append((value, "not an image file name (jpg, jpeg, png, webp)"))
        return ""
    for base in (root, csv_dir):
        candidate = (base / value).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate.relative_to(root).as_posix()
        if not candidate.is_relative_to(root) and candidate.is_file():
            problems.append((value, "path leaves the images folder; refused"))
            return ""
    problems.append((value, "file not found"))
    return ""


def _finish(items: pd.DataFrame, problems: list, resolved: dict[str, str]) -> ItemTable:
    for column in ITEM_COLUMNS:
        if column not in items:
            items[column] = ""
    items = items[list(ITEM_COLUMNS)].reset_index(drop=True)
    problem_frame = pd.DataFrame(problems, columns=["image_path", "reason"])
    return ItemTable(items, problem_frame, resolved)
