"""A random sample of mined attributes with the phrase behind each, to check the rules by eye.

For every mined label, ``--per-label`` designs are drawn (seeded) among those the rules give it,
and printed with the product type, the phrase that fired and the whole description. A reviewer
marks each line right or wrong; ``docs/attributes.md`` has the verdicts of the run below.
``--sheet FILE`` also draws a contact sheet of one photo per sampled line (as the trunk sees it:
the 224 px centre crop, in grey), to judge whether the attribute is visible; the sheet holds
H&M photos, so write it outside the repository.

Usage:
    python benchmarks/attribute_mining_sample.py --per-label 4 --seed 0
    python benchmarks/attribute_mining_sample.py --per-label 1 --seed 1 --sheet /tmp/mined.png
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python benchmarks/...` from anywhere


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default=str(ROOT.parent / "shared/data/hm_colour_variants"))
    parser.add_argument("--per-label", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sheet", type=Path, help="contact sheet PNG (outside the repository)")
    args = parser.parse_args()

    import numpy as np

    from skill.attributes.mining import MINED_LABELS, explain, mine_attributes
    from skill.catalog.source import read_csv

    frame = read_csv(Path(args.images) / "articles.csv").drop_duplicates("product_code")
    frame = frame.reset_index(drop=True)
    found = [mine_attributes(text) for text in frame["detail_desc"]]
    rng = np.random.default_rng(args.seed)
    sampled = []
    for label in MINED_LABELS:
        rows = [i for i, labels in enumerate(found) if label in labels]
        if not rows:
            continue
        for i in rng.choice(rows, size=min(args.per_label, len(rows)), replace=False):
            sampled.append((label, int(i)))
    for number, (label, i) in enumerate(sampled, start=1):
        row = frame.iloc[i]
        phrase = explain(row["detail_desc"]).get(label, "")
        print(
            f"{number:3d}. [{label}] {row['product_type_name']} ({row['product_code']}): {phrase}"
        )
        print(textwrap.indent(textwrap.fill(row["detail_desc"], 100), "       "))
    print(f"\n{len(sampled)} sampled lines over {len({label for label, _ in sampled})} labels")
    if args.sheet:
        _sheet(args, frame, sampled)


def _sheet(args, frame, sampled) -> None:
    from PIL import Image, ImageDraw

    from skill.attributes.trunk import PREPROCESS
    from skill.images.decode import load_image
    from skill.images.preprocess import resize_image

    size, columns = 160, 8
    rows = -(-len(sampled) // columns)
    sheet = Image.new("RGB", (columns * size, rows * (size + 28)), "white")
    draw = ImageDraw.Draw(sheet)
    for number, (label, i) in enumerate(sampled):
        image = load_image(Path(args.images) / frame.iloc[i]["image_path"])
        tile = resize_image(image, PREPROCESS).resize((size, size))
        x, y = (number % columns) * size, (number // columns) * (size + 28)
        sheet.paste(tile, (x, y))
        draw.text((x + 2, y + size + 2), f"{number + 1}. {label}"[:26], fill="black")
    sheet.save(args.sheet)
    print(f"contact sheet -> {args.sheet}")


if __name__ == "__main__":
    main()
