"""Colour-variant retrieval of encoders under several preprocessings, on the validation designs.

Decodes the validation photos once and reuses them for every (encoder, preprocessing) pair;
the colour-invariance score is left out (see ``train_evaluate.py`` for the full figures).

Usage:
    python benchmarks/train_preprocess_sweep.py imagenet-lite0 runs/skill/encoder \
        --sizes 128 160 224 --modes pad crop
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python benchmarks/...` from anywhere
sys.path.insert(0, str(ROOT / "benchmarks"))

from train_evaluate import emit  # noqa: E402

from skill.encoders.embedding import embed_images
from skill.encoders.registry import create_encoder
from skill.evaluation.metrics import colour_variant_retrieval
from skill.evaluation.splits import read_split
from skill.images.decode import load_image
from skill.paths import DEFAULT_TRAINING_DATA, project_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("encoders", nargs="+")
    parser.add_argument("--images", default=str(project_path(DEFAULT_TRAINING_DATA)))
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 160, 224])
    parser.add_argument("--modes", nargs="+", default=["pad", "crop"])
    parser.add_argument("--grayscale", choices=["no", "yes", "both"], default="no")
    parser.add_argument("--out", help="append JSON lines here")
    args = parser.parse_args()

    _, val = read_split(args.images)
    root = Path(args.images)
    photos = [load_image(root / p, draft_size=256) for p in val["image_path"]]
    greys = {"no": [False], "yes": [True], "both": [False, True]}[args.grayscale]
    for name in args.encoders:
        encoder = create_encoder(name)
        base = encoder.preprocess
        for size, mode, grey in itertools.product(args.sizes, args.modes, greys):
            encoder.preprocess = dataclasses.replace(
                base,
                input_size=size,
                resize_mode=mode,
                crop_pct=1.0 if mode == "pad" else 0.875,
                grayscale=grey,
            )
            start = time.perf_counter()
            result = embed_images(encoder, photos, batch_size=32)
            figures = colour_variant_retrieval(
                result.embeddings, val["design_id"].tolist(), val["color"].tolist()
            )
            row = {"encoder": name, "size": size, "mode": mode, "grayscale": grey}
            row.update({k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()})
            row["seconds"] = round(time.perf_counter() - start, 1)
            emit(row, args.out)


if __name__ == "__main__":
    main()
