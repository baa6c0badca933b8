"""Is one encoder's hit@1 really above another's? A paired test on the same queries.

Each encoder after the first is compared with the first on the same photos: hit@1 of each,
the queries only one of them gets right, and McNemar's exact two-sided p-value
(:mod:`skill.evaluation.paired`). Without ``--csv`` the photos are the validation designs of
the shared H&M set; with it, any labelled catalog (the flags of ``python -m skill eval``).

Usage:
    python benchmarks/paired_hits.py runs/skill-design-7b15c36 skill-design
    python benchmarks/paired_hits.py skill-design runs/skill-design-7b15c36 \
        --images data/demo/photos --csv data/demo/photos/catalog.csv --image-col image_path \
        --design-col design_id --color-col colour_name --cache data/demo/catalog/cache
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python benchmarks/...` from anywhere

from skill.cli.common import add_column_flags, columns
from skill.paths import DEFAULT_TRAINING_DATA, project_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("encoders", nargs="+", help="encoder names or checkpoint folders")
    parser.add_argument("--images", type=Path, default=project_path(DEFAULT_TRAINING_DATA))
    parser.add_argument("--split-seed", type=int, default=0, help="without --csv")
    parser.add_argument("--cache", default="data/eval-cache", help="embedding cache folder")
    add_column_flags(parser)
    args = parser.parse_args()
    if len(args.encoders) < 2:
        parser.error("give two encoders at least: the first is compared with each other one")

    from skill.catalog.source import read_items
    from skill.encoders.registry import create_encoder
    from skill.evaluation.metrics import first_hits
    from skill.evaluation.paired import paired_hits
    from skill.evaluation.protocol import EvalConfig, embed_gallery
    from skill.evaluation.splits import read_split

    if args.csv:
        items = read_items(args.images, args.csv, columns(args)).items
    else:
        _, items = read_split(args.images, seed=args.split_seed)
    hits = {}
    for name in args.encoders:
        result = embed_gallery(
            create_encoder(name), items, args.images, EvalConfig(cache_dir=args.cache), None
        )
        if len(result.indices) != len(items):
            raise SystemExit(f"{name}: {len(items) - len(result.indices)} photos unreadable")
        hits[name] = first_hits(result.embeddings, items["design_id"], items["color"])
    first = args.encoders[0]
    print(f"{len(hits[first])} queries of {len(items)} photos ({args.images.name})")
    print("| A | B | hit@1 A | hit@1 B | only A right | only B right | p (McNemar, exact) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in args.encoders[1:]:
        r = paired_hits(hits[first], hits[name])
        print(
            f"| `{first}` | `{name}` | {r['hits_a'] / r['queries']:.3f} | "
            f"{r['hits_b'] / r['queries']:.3f} | {r['only_a']} | {r['only_b']} | "
            f"{r['p_value']:.3g} |"
        )


if __name__ == "__main__":
    main()
