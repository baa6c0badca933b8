"""Contact sheet of a catalog: one row per design, showing it in each of its colourways.

Example:
    >>> render_contact_sheet("data/demo/catalog.csv", "docs/demo_contact_sheet.png", n=48)
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from skill.demo.builder import read_catalog


def _pick_designs(rows: list[dict[str, str]], n: int) -> list[list[dict[str, str]]]:
    """Take designs kind by kind in turn (so every kind shows) until about n images are chosen."""
    by_design: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_design[row["design_id"]].append(row)
    by_kind: dict[str, list[list[dict[str, str]]]] = defaultdict(list)
    for design_rows in by_design.values():
        by_kind[design_rows[0]["kind"]].append(design_rows)
    queues = [by_kind[k] for k in sorted(by_kind)]
    picked, count, depth = [], 0, 0
    while count < n and any(depth < len(q) for q in queues):
        for queue in queues:
            if depth < len(queue) and count < n:
                picked.append(queue[depth])
                count += len(queue[depth])
        depth += 1
    return picked


def render_contact_sheet(csv_path: str | os.PathLike, out_png: str | os.PathLike, n: int = 48,
                         columns: int = 8, thumb_width: int = 128) -> Path:  # fmt: skip
    """Tile a catalog's images, one design per row, its title beside its colourways.

    Args:
        csv_path: The catalog's catalog.csv.
        out_png: Where to write the sheet (PNG).
        n: About how many images to show. Typical values are in [16, 100].
        columns: Cells per row; a row holds one design's colours, then its caption.
        thumb_width: Width of a cell in pixels; the height follows the images' aspect.

    Returns:
        The path of the sheet.
    """
    if n < 1 or columns < 2:
        raise ValueError(f"need n >= 1 and columns >= 2, got n={n}, columns={columns}")
    root = Path(csv_path).parent
    designs = _pick_designs(read_catalog(csv_path), n)
    with Image.open(root / designs[0][0]["image_path"]) as first:
        thumb_height = round(thumb_width * first.height / first.width)
    sheet = Image.new("RGB", (columns * thumb_width, len(designs) * thumb_height), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=max(10, thumb_width // 11))
    small = ImageFont.load_default(size=max(9, thumb_width // 13))
    for r, design_rows in enumerate(designs):
        y = r * thumb_height
        shown = design_rows[: columns - 2]
        for c, row in enumerate(shown):
            with Image.open(root / row["image_path"]) as img:
                cell = img.convert("RGB").resize(
                    (thumb_width, thumb_height), Image.Resampling.LANCZOS
                )
            sheet.paste(cell, (c * thumb_width, y))
            draw.text((c * thumb_width + 4, y + thumb_height - 4), row["colour_name"], fill=(90, 90, 90),
                      font=small, anchor="ld")  # fmt: skip
        first = design_rows[0]
        x = len(shown) * thumb_width + 10
        lines = [f"{first['design_id']}  {first['kind']}", first["title"],
                 f"print: {first['print']} / {first['print_style']}", f"launched {first['launch_date']}",
                 f"{len(design_rows)} colourways"]  # fmt: skip
        for k, text in enumerate(lines):
            draw.text((x, y + thumb_height * 0.3 + k * font.size * 1.35), text, font=font,
                      fill=(40, 40, 40) if k < 2 else (110, 110, 110))  # fmt: skip
        draw.line(
            [(0, y + thumb_height - 1), (sheet.width, y + thumb_height - 1)], fill=(225, 225, 225)
        )
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, optimize=True)
    return out
