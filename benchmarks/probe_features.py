"""Which untrained ImageNet features find colour variants best: stage, pooling, colour, framing.

Embeds the validation designs of the shared split (``split_designs(..., 0.2, seed 0)``) with
``imagenet-lite0`` once per input variant (timm crop at 224 or whole garment padded; RGB or
grayscale), takes the feature maps after stages 4-7 and after the head convolution, pools each
with average, GeM (p = 3) or max, and prints hit@1 and mAP of the colour-variant protocol for
every combination. The SkiLL CPU recipe's choices (max pooling of the head convolution, crop
at 224) come from this table; ``avg`` of ``head`` with ``crop``/``rgb`` is the
``imagenet-lite0`` baseline itself (0.373 hit@1).

    python benchmarks/probe_features.py --variants crop-rgb,crop-gray,pad-rgb
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from skill.paths import DEFAULT_TRAINING_DATA, project_path

POOLS = ("avg", "gem", "max")


def feature_maps(backbone, x):
    """Feature maps after stages 4-7 (``s3``..``s6``) and after the head convolution."""
    x = backbone.bn1(backbone.conv_stem(x))
    maps = {}
    for i, block in enumerate(backbone.blocks):
        x = block(x)
        if i >= 3:
            maps[f"s{i}"] = x
    maps["head"] = backbone.bn2(backbone.conv_head(x))
    return maps


def pool(maps, kind: str):
    if kind == "avg":
        return maps.mean((2, 3))
    if kind == "gem":
        return maps.clamp(min=1e-6).pow(3).mean((2, 3)).pow(1 / 3)
    return maps.amax((2, 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", default=str(project_path(DEFAULT_TRAINING_DATA)))
    parser.add_argument("--variants", default="crop-rgb,crop-gray,pad-rgb,pad-gray")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--split",
        default="val",
        choices=["val", "train"],
        help="train: check a choice on designs the validation figures never saw",
    )
    parser.add_argument("--limit", type=int, help="first N designs' photos only (train subset)")
    args = parser.parse_args()

    import torch
    import torch.nn.functional as F
    from PIL import ImageOps

    from skill.encoders.registry import create_encoder
    from skill.evaluation.metrics import colour_variant_retrieval
    from skill.evaluation.splits import read_split
    from skill.images.decode import load_image
    from skill.images.preprocess import Preprocess, to_tensor

    train, val = read_split(args.images)
    if args.split == "train":
        val = train
    if args.limit:
        designs = val["design_id"].drop_duplicates().iloc[: args.limit]
        val = val[val["design_id"].isin(designs)].reset_index(drop=True)
    backbone = create_encoder("imagenet-lite0").eval().backbone
    photos = [load_image(Path(args.images) / p) for p in val["image_path"]]
    print(f"{len(photos)} {args.split} photos, {val['design_id'].nunique()} designs")
    print(f"{'variant':<10}{'features':<8}{'pool':<6}{'hit@1':>8}{'mAP':>8}")
    for variant in args.variants.split(","):
        mode, colour = variant.split("-")
        preprocess = Preprocess(
            input_size=224, crop_pct=0.875 if mode == "crop" else 1.0, resize_mode=mode
        )
        start = time.perf_counter()
        parts: dict[tuple[str, str], list] = {}
        with torch.inference_mode():
            for s in range(0, len(photos), args.batch_size):
                batch = torch.stack(
                    [
                        to_tensor(
                            ImageOps.grayscale(p).convert("RGB") if colour == "gray" else p,
                            preprocess,
                        )
                        for p in photos[s : s + args.batch_size]
                    ]
                )
                for stage, maps in feature_maps(backbone, batch).items():
                    for kind in POOLS:
                        vectors = F.normalize(pool(maps, kind), dim=-1).numpy()
                        parts.setdefault((stage, kind), []).append(vectors)
        for (stage, kind), chunks in parts.items():
            figures = colour_variant_retrieval(
                np.concatenate(chunks), val["design_id"].tolist(), val["color"].tolist()
            )
            print(f"{variant:<10}{stage:<8}{kind:<6}{figures['hit@1']:>8.3f}{figures['mAP']:>8.3f}")
        print(f"{variant}: {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
