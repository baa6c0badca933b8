"""Result cards for the app: small JPEG thumbnails inlined as data URIs, laid out by a CSS grid.

One ``st.markdown`` of a grid of cards draws far faster (and looks better) than one
``st.image`` per result. Every text field is HTML-escaped, so catalog titles cannot inject
markup into the page.

Example:
    >>> card = Card(thumbnail=thumbnail_uri("photo.jpg"), title="Breton tee", score=0.91,
    ...             color_hex="#1f3a93", color_name="navy", category="t-shirt")
    >>> html = render_cards([card])
"""

from __future__ import annotations

import base64
import html
import io
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skill.images.decode import ImageLoadError, load_image, thumbnail

if TYPE_CHECKING:
    from skill.catalog.store import Catalog

TAGS_SHOWN = 5
"""Attribute tags on a card at most (facts first, then one "likely")."""
THUMBNAIL_SIZE = 192
"""Longer side of a card thumbnail in pixels. Typical 160-256."""

CARD_CSS = """
<style>
.sk-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:14px;
  margin:4px 0 18px 0}
.sk-card{background:#fff;border:1px solid #e6e8ef;border-radius:12px;overflow:hidden;
  box-shadow:0 1px 2px rgba(16,24,40,.05);display:flex;flex-direction:column}
.sk-card.sk-query{border:2px solid var(--primary-color,#2f6fed)}
.sk-thumb{aspect-ratio:1/1;background:#f6f7f9;display:flex;align-items:center;
  justify-content:center}
.sk-thumb img{max-width:100%;max-height:100%;object-fit:contain}
.sk-thumb .sk-missing{color:#98a2b3;font-size:12px}
.sk-body{padding:8px 10px 10px 10px;font-size:13px;line-height:1.35}
.sk-top{display:flex;justify-content:space-between;align-items:center;gap:6px}
.sk-score{font-weight:600;color:#1d2939;font-variant-numeric:tabular-nums}
.sk-colour{display:flex;align-items:center;gap:5px;color:#475467;white-space:nowrap;
  overflow:hidden;text-overflow:ellipsis;min-width:0}
.sk-swatch{width:13px;height:13px;border-radius:4px;border:1px solid rgba(0,0,0,.15);
  flex:none}
.sk-title{color:#101828;margin-top:4px;white-space:nowrap;overflow:hidden;
  text-overflow:ellipsis}
.sk-meta{color:#667085;font-size:12px;white-space:nowrap;overflow:hidden;
  text-overflow:ellipsis}
.sk-tags{display:flex;flex-wrap:wrap;gap:4px;margin-top:6px}
.sk-tag{font-size:11px;line-height:16px;padding:0 6px;border-radius:8px;background:#eef2ff;
  color:#3538cd;white-space:nowrap}
.sk-tag.sk-likely{background:#fff;color:#667085;border:1px dashed #d0d5dd}
.sk-group{font-size:14px;color:#344054;margin:10px 0 2px 0}
.sk-group b{color:#101828}
.sk-answer{background:#f9fafb;border:1px solid #e4e7ec;border-radius:10px;padding:10px 14px;
  color:#344054;margin:6px 0 10px 0}
</style>
"""


@dataclass(frozen=True)
class Card:
    """What one result card shows.

    Attributes:
        thumbnail: ``data:`` URI of the picture (empty shows a placeholder).
        title: Product title.
        score: Cosine similarity, or ``None`` (a query card, or a card with no score).
        color_hex: Swatch colour, ``#rrggbb``.
        color_name: Colour in words.
        category: Product category.
        meta: Extra small line (item id, date).
        highlight: Draw the card as the query.
        tags: Predicted attributes as ``(text, fact)``: facts drawn as filled chips, the
            others ("likely ... (NN %)") as dashed ones.
    """

    thumbnail: str
    title: str
    score: float | None = None
    color_hex: str = ""
    color_name: str = ""
    category: str = ""
    meta: str = ""
    highlight: bool = False
    tags: tuple[tuple[str, bool], ...] = ()


def thumbnail_uri(source: str | os.PathLike | bytes, size: int = THUMBNAIL_SIZE) -> str:
    """A JPEG thumbnail of an image as a ``data:image/jpeg;base64,...`` URI.

    Args:
        source: Path or bytes of any image :func:`skill.images.decode.load_image` accepts.
        size: Longer side in pixels.

    Returns:
        The URI, or ``""`` when the image cannot be read.
    """
    try:
        image = load_image(source, draft_size=size)
    except ImageLoadError:
        return ""
    buffer = io.BytesIO()
    thumbnail(image, size).save(buffer, format="JPEG", quality=85, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _is_hex(code: str) -> bool:
    return (
        len(code) == 7
        and code.startswith("#")
        and all(c in "0123456789abcdefABCDEF" for c in code[1:])
    )


def render_card(card: Card) -> str:
    """HTML of one card (escaped)."""
    esc = html.escape
    if card.thumbnail.startswith("data:image/"):
        picture = f'<img src="{esc(card.thumbnail)}" alt="{esc(card.title)}" loading="lazy">'
    else:
        picture = '<span class="sk-missing">no preview</span>'
    swatch = (
        f'<span class="sk-swatch" style="background:{card.color_hex}"></span>'
        if _is_hex(card.color_hex)
        else ""
    )
    # Unscored cards (cluster representatives) show no score; only the query says "query".
    query_label = "query" if card.highlight else ""
    score = query_label if card.score is None else f"{card.score:.2f}"
    hint = "" if card.score is None else f' title="cosine similarity {card.score:.4f}"'
    meta = " · ".join(esc(part) for part in (card.category, card.meta) if part)
    tags = "".join(
        f'<span class="sk-tag{"" if fact else " sk-likely"}">{esc(text)}</span>'
        for text, fact in card.tags
    )
    return (
        f'<div class="sk-card{" sk-query" if card.highlight else ""}">'
        f'<div class="sk-thumb">{picture}</div><div class="sk-body">'
        f'<div class="sk-top"><span class="sk-score"{hint}>{score}</span>'
        f'<span class="sk-colour">{swatch}{esc(card.color_name)}</span></div>'
        f'<div class="sk-title" title="{esc(card.title)}">{esc(card.title) or "&nbsp;"}</div>'
        f'<div class="sk-meta">{meta or "&nbsp;"}</div>'
        + (f'<div class="sk-tags">{tags}</div>' if tags else "")
        + "</div></div>"
    )


def render_cards(cards: list[Card], heading: str = "") -> str:
    """HTML of a responsive grid of cards, with an optional one-line heading (escaped).

    The heading may use ``**bold**`` once for the design name.
    """
    top = ""
    if heading:
        text = html.escape(heading)
        if text.count("**") >= 2:
            text = text.replace("**", "<b>", 1).replace("**", "</b>", 1)
        top = f'<div class="sk-group">{text}</div>'
    return top + '<div class="sk-grid">' + "".join(render_card(c) for c in cards) + "</div>"


def item_card(
    catalog: Catalog, row: int, score: float | None = None, highlight: bool = False
) -> Card:
    """The card of one catalog photo; its thumbnail is cached across sessions.

    Args:
        catalog: The open catalog.
        row: The photo's row in ``catalog.items``.
        score: Its score in a search, or ``None`` (a cluster representative, a map selection).
        highlight: Draw it as the query.
    """
    from skill.catalog.items import colour_names
    from ui.loaders import catalog_thumbnail  # Streamlit's cache: rendering cards needs none

    items = catalog.items
    stored = catalog.attributes
    tags = (
        tuple((t.text, t.fact) for t in stored.tags(row, max_likely=1)[:TAGS_SHOWN])
        if stored
        else ()
    )
    return Card(
        thumbnail=catalog_thumbnail(str(catalog.image_path(row))),
        title=items["title"].iat[row] or items["item_id"].iat[row],
        score=score,
        color_hex=items["color_hex"].iat[row],
        color_name=colour_names(items, [row]).iat[0],
        category=items["category"].iat[row],
        meta=items["item_id"].iat[row],
        highlight=highlight,
        tags=tags,
    )
