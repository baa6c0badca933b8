"""Design search when the uploaded photo is no packshot: the product on a cluttered background.

A shopper's or another shop's photo rarely shows the product alone on a plain background. Each
validation photo's product is cut out and pasted on a procedural background
(:func:`skill.images.clutter.paste_on_clutter`, seeded by the photo's path as in the attribute
evaluation), and that copy searches the gallery of clean packshots: the colour-variant protocol
with the query's own photo and its same-colour shots left out
(:func:`skill.evaluation.metrics.colour_variant_retrieval` with ``query_embeddings``). Clean
queries are printed beside it for reference.

Usage:
    python benchmarks/clutter_queries.py luminance-lite0 skill-design colour-variants
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python benchmarks/...` from anywhere

from skill.paths import DEFAULT_TRAINING_DATA, project_path


def cluttered_copies(root: Path, image_paths, seed: int):
    """Each photo's product pasted on its own seeded cluttered background (PIL images)."""
    from skill.images.clutter import clutter_rng, paste_on_clutter, product_mask
    from skill.images.decode import load_image

    def one(relative: str):
        image = load_image(root / relative)
        return paste_on_clutter(image, product_mask(image), clutter_rng(seed, relative))[0]

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(one, image_paths))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("encoders", nargs="+", help="encoder names or checkpoint folders")
    parser.add_argument("--images", default=str(project_path(DEFAULT_TRAINING_DATA)))
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0, help="seed of the backgrounds")
    parser.add_argument("--cache", default="data/eval-cache", help="clean embedding cache")
    args = parser.parse_args()

    import time

    from skill.encoders.embedding import embed_images
    from skill.encoders.registry import create_encoder
    from skill.evaluation.metrics import colour_variant_retrieval
    from skill.evaluation.protocol import EvalConfig, embed_gallery
    from skill.evaluation.splits import read_split

    root = Path(args.images)
    _, items = read_split(root, seed=args.split_seed)
    start = time.perf_counter()
    copies = cluttered_copies(root, list(items["image_path"]), args.seed)
    print(
        f"{len(copies)} validation photos pasted on clutter in {time.perf_counter() - start:.0f} s"
    )
    lines = [
        "| encoder | clean hit@1 | clean mAP | clutter hit@1 | clutter hit@5 | clutter mAP |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in args.encoders:
        encoder = create_encoder(name)
        clean = embed_gallery(encoder, items, root, EvalConfig(cache_dir=args.cache), None)
        cluttered = embed_images(encoder, copies)
        if len(clean.indices) != len(items) or len(cluttered.indices) != len(items):
            raise SystemExit(f"{name}: some validation photos could not be embedded")
        design, colour = items["design_id"], items["color"]
        plain = colour_variant_retrieval(clean.embeddings, design, colour)
        moved = colour_variant_retrieval(
            clean.embeddings, design, colour, query_embeddings=cluttered.embeddings
        )
        lines.append(
            f"| `{name}` | {plain['hit@1']:.3f} | {plain['mAP']:.3f} | {moved['hit@1']:.3f} "
            f"| {moved['hit@5']:.3f} | {moved['mAP']:.3f} |"
        )
        print(lines[-1], flush=True)
    print(f"\n{plain['queries']} queries, gallery of {plain['gallery']} clean photos")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
