"""hit@1 on the validation designs split by how far apart in lightness the colourways are.

Rows: encoders; columns: queries whose other colourways are all of the opposite extreme tone
(black/dark against white/light), of the same tone, or neither (:mod:`skill.evaluation.tone_pairs`).
Embeddings are cached under ``--cache`` so a second run is quick.

Usage:
    python benchmarks/tone_pairs.py imagenet-lite0 luminance-lite0 assets/encoders/skill-design
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python benchmarks/...` from anywhere

from skill.paths import DEFAULT_TRAINING_DATA, project_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("encoders", nargs="+", help="encoder names or checkpoint folders")
    parser.add_argument("--images", default=str(project_path(DEFAULT_TRAINING_DATA)))
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument("--cache", default="data/eval-cache", help="embedding cache folder")
    args = parser.parse_args()

    from skill.encoders.registry import create_encoder
    from skill.evaluation.protocol import EvalConfig, embed_gallery
    from skill.evaluation.splits import read_split
    from skill.evaluation.tone_pairs import PAIR_KINDS, hit1_by_tone_pair

    _, val_items = read_split(args.images, seed=args.split_seed)
    header = " | ".join(f"{kind} hit@1 (queries)" for kind in PAIR_KINDS)
    lines = [f"| encoder | {header} |", "| --- |" + " --- |" * len(PAIR_KINDS)]
    for name in args.encoders:
        encoder = create_encoder(name)
        config = EvalConfig(cache_dir=args.cache)
        result = embed_gallery(encoder, val_items, Path(args.images), config, None)
        kept = val_items.iloc[result.indices]
        by_kind = hit1_by_tone_pair(result.embeddings, kept["design_id"], kept["color"])
        cells = " | ".join(
            f"{by_kind[k]['hit@1']:.3f} ({by_kind[k]['queries']})" for k in PAIR_KINDS
        )
        lines.append(f"| `{name}` | {cells} |")
        print(lines[-1], flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
