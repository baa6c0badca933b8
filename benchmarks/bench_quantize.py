"""Int8 against float ONNX: hit@1 on the validation designs, and the model stage's speed.

For each encoder: export to ONNX (float), quantise it (:mod:`skill.encoders.quantize`)
calibrated on photos of *training* designs (a seeded sample), embed every validation photo
(``skill.evaluation.splits.read_split`` on the shared H&M photos) with both, and score the
colour-variant protocol (``skill.evaluation.metrics.first_hits``: hit@1): float, int8,
and int8 catalog searched by float query photos (what the app does when a catalog was built
in int8 and the query is embedded in float). Then the model stage alone on a ready batch,
float and int8 in blocks of their own (median of the rounds; ``bench_ingest.time_models``),
with the load beside it. Each model is made as a build makes it: one whose agreement is below
the floor is quantised again with its first convolutions in float
(``QuantizeConfig.fallback``; the ``no-fallback`` variant keeps the first try), and one a
build would still refuse is measured all the same.

    python benchmarks/bench_quantize.py                       # shipped settings, 4 encoders
    python benchmarks/bench_quantize.py --encoders imagenet-lite0 \\
        --variants minmax,percentile,per-tensor,keep-stem-head,dynamic
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_ingest import describe_machine, time_models

from skill.encoders.embedding import prepare
from skill.encoders.onnx import create_onnx_encoder
from skill.encoders.quantize import (
    AGREEMENT_PHOTOS,
    MIN_AGREEMENT,
    Int8AgreementError,
    QuantizeConfig,
    create_int8_encoder,
    model_record,
)
from skill.encoders.registry import create_encoder
from skill.evaluation.metrics import first_hits
from skill.evaluation.paired import paired_hits
from skill.evaluation.splits import read_split
from skill.paths import DEFAULT_TRAINING_DATA, project_path

HM = project_path(DEFAULT_TRAINING_DATA)
ENCODERS = ("imagenet-lite0", "luminance-lite0", "skill-design", "colour-variants")
VARIANTS = {
    "shipped": QuantizeConfig(),  # the default: minmax-average, per channel, 256 photos
    "no-stem-guard": QuantizeConfig(stem_guard=False, fallback=False),  # every layer int8
    "no-fallback": QuantizeConfig(fallback=False),  # the first try, whatever its agreement
    "no-bias-correction": QuantizeConfig(bias_correction=False),  # the rounding's mean error kept
    "first-block": QuantizeConfig(float_convolutions=3),  # stem and first block, any CPU
    "second-stage": QuantizeConfig(float_convolutions=9),  # and the second stage, any CPU
    "stem-only": QuantizeConfig(stem_guard=False, keep_float=("stem",)),  # the stem alone
    "average-keep-stem": QuantizeConfig(calibration="minmax-average", keep_float=("stem",)),
    "minmax": QuantizeConfig(calibration="minmax"),
    # Histogram calibrations keep every activation of every photo: 64 photos fit in memory.
    "percentile": QuantizeConfig(calibration="percentile", photos=64),
    "entropy": QuantizeConfig(calibration="entropy", photos=64),
    "minmax-64": QuantizeConfig(photos=64),
    "minmax-average": QuantizeConfig(calibration="minmax-average"),
    "keep-head": QuantizeConfig(keep_float=("head",)),
    "keep-stem": QuantizeConfig(keep_float=("stem",)),
    "per-tensor": QuantizeConfig(per_channel=False),
    "keep-stem-head": QuantizeConfig(keep_float=("stem", "head")),
    "reduce-range": QuantizeConfig(reduce_range=True),
    "dynamic": QuantizeConfig(method="dynamic"),
}


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def embed_both(float_model, int8_models, encoder, paths, batch_size=64):
    """Float and int8 embeddings of the same decoded batches (decoding once)."""
    outs = {"float": []} | {name: [] for name in int8_models}
    with ThreadPoolExecutor(2) as pool, torch.inference_mode():
        for start in range(0, len(paths), batch_size):
            chunk = paths[start : start + batch_size]
            batch = torch.stack(list(pool.map(lambda p: prepare(p, encoder), chunk)))
            outs["float"].append(float_model(batch).numpy())
            for name, model in int8_models.items():
                outs[name].append(model(batch).numpy())
    return {name: np.concatenate(parts) for name, parts in outs.items()}


def add_measurement_flags(parser: argparse.ArgumentParser) -> None:
    """The photos (``--calibration-photos``, ``--val-photos``) and the speed test's flags."""
    parser.add_argument("--calibration-photos", type=int, default=256)
    parser.add_argument(
        "--calibration-seed", type=int, default=0, help="which sample of training photos"
    )
    parser.add_argument("--val-photos", type=int, default=0, help="0: every validation photo")
    parser.add_argument("--rounds", type=int, default=7, help="timing rounds (median)")
    parser.add_argument("--batch-size", type=int, default=32, help="batch of the speed test")


def validation_and_calibration(val_photos: int, calibration_photos: int, seed: int = 0):
    """The validation designs' items and photo paths (the first ``val_photos``; 0: all), and a
    sample of ``calibration_photos`` photos of *training* designs drawn with ``seed``; printed."""
    train, val = read_split(HM)
    if val_photos:
        val = val.iloc[:val_photos]
    rows = np.random.default_rng(seed).choice(len(train), size=calibration_photos, replace=False)
    calibration = [HM / p for p in train["image_path"].iloc[np.sort(rows)]]
    paths = [HM / p for p in val["image_path"]]
    print(
        f"validation: {len(paths)} photos of {val['design_id'].nunique()} designs; calibration: "
        f"{len(calibration)} photos of training designs (seed {seed})"
    )
    return val, paths, calibration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoders", nargs="+", default=list(ENCODERS))
    parser.add_argument("--variants", default="shipped", help=f"comma list of {list(VARIANTS)}")
    add_measurement_flags(parser)
    args = parser.parse_args()

    print(f"machine: {describe_machine()}")
    print(f"command: python {' '.join(sys.argv)}")
    # The photos after the calibration ones check each model, as a build does.
    val, paths, calibration = validation_and_calibration(
        args.val_photos, args.calibration_photos + AGREEMENT_PHOTOS, args.calibration_seed
    )
    names = args.variants.split(",")
    rows, failures, agreements = [], [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for encoder_name in args.encoders:
            encoder = create_encoder(encoder_name).eval()
            float_model = create_onnx_encoder(encoder, cache_dir=tmp, spinning=False)
            int8_models = {}
            for name in names:
                start = time.perf_counter()
                folder = Path(tmp) / f"{encoder_name}-{name}"
                try:
                    try:  # as a build makes it, with the fallback its floor asks for
                        int8_models[name] = create_int8_encoder(
                            encoder, calibration, folder, VARIANTS[name], spinning=False
                        )  # spinning as a build runs it; see bench_ingest.time_models
                    except Int8AgreementError:  # a build refuses it; measured here all the same
                        int8_models[name] = create_int8_encoder(
                            encoder, [], folder, VARIANTS[name], spinning=False, min_agreement=None
                        )
                except Exception as error:  # noqa: BLE001 - ONNX Runtime raises many kinds
                    failures.append((encoder_name, name, f"{type(error).__name__}: {error}"))
                    print(f"{encoder_name} {name}: quantisation failed ({error})", flush=True)
                    continue
                record = model_record(int8_models[name].path.parent)
                agreements[encoder_name, name] = record["agreement"]["cosine_mean"]
                print(
                    f"{encoder_name} {name}: quantised in {time.perf_counter() - start:.0f} s "
                    f"({load()}), keeping {record['config']['keep_float'] or 'nothing'} and the "
                    f"first {record['float_convolutions']} convolutions in float (tried "
                    f"{[t['float_convolutions'] for t in record['tried']]})",
                    flush=True,
                )
            start = time.perf_counter()
            outs = embed_both(float_model, int8_models, encoder, paths)
            print(f"{encoder_name}: embedded in {time.perf_counter() - start:.0f} s ({load()})")
            batch = torch.stack([prepare(p, encoder) for p in paths[: args.batch_size]])
            speeds = time_models({"float": float_model, **int8_models}, batch, args.rounds)
            designs, colours = val["design_id"], val["color"]
            float_hits = first_hits(outs["float"], designs, colours)
            rows.append(
                (encoder_name, "float", float_hits.mean(), None, 1.0, speeds["float"], None)
            )
            for name in int8_models:
                hits = first_hits(outs[name], designs, colours)
                # the int8 gallery searched by float query photos
                mixed = first_hits(outs[name], designs, colours, query_embeddings=outs["float"])
                cosine = (outs[name] * outs["float"]).sum(axis=1)
                paired = paired_hits(float_hits, hits)
                rows.append(
                    (encoder_name, name, hits.mean(), mixed.mean(), cosine, speeds[name], paired)
                )
            print(f"{encoder_name}: timed ({load()})", flush=True)

    print()
    print(
        f"{'encoder':<18}{'model':<16}{'hit@1':>8}{'vs float':>10}{'float q':>9}"
        f"{'cos mean':>10}{'cos min':>9}{'img/s':>8}{'x float':>9}{'agree':>8}  {'build':<10}"
        f"{'only float':>10}/{'int8':<6}{'p':>5}"
    )
    floats = {r[0]: r for r in rows if r[1] == "float"}
    for encoder_name, name, hit1, mixed, cosine, speed, paired in rows:
        base = floats[encoder_name]
        if name == "float":
            print(f"{encoder_name:<18}{'float onnx':<16}{hit1:>8.3f}{'':>10}{'':>9}"
                  f"{'':>10}{'':>9}{speed:>8.1f}{1.0:>9.2f}")  # fmt: skip
            continue
        agree = agreements[encoder_name, name]
        verdict = "takes it" if agree >= MIN_AGREEMENT else "refuses it"
        print(
            f"{encoder_name:<18}{'int8 ' + name:<16}{hit1:>8.3f}{100 * (hit1 - base[2]):>+9.1f}p"
            f"{mixed:>9.3f}{cosine.mean():>10.4f}{cosine.min():>9.4f}{speed:>8.1f}"
            f"{speed / base[5]:>9.2f}{agree:>8.4f}  {verdict:<10}"
            f"{paired['only_a']:>10}/{paired['only_b']:<6}{paired['p_value']:>5.2f}"
        )
    for encoder_name, name, reason in failures:
        print(f"{encoder_name:<18}{'int8 ' + name:<16}failed: {reason.splitlines()[0][:120]}")
    print(
        f"\n'float q': hit@1 of float query vectors against the int8 gallery; 'agree': mean "
        f"cosine to float on the {AGREEMENT_PHOTOS} held-back photos, what a build checks "
        f"(floor {MIN_AGREEMENT}); 'only float/int8': queries whose first result only float / "
        f"only int8 gets right, 'p': exact McNemar test of the two counts (a large p: the "
        f"hit@1 difference is within what chance flips of near-tied queries give). End: {load()}"
    )


if __name__ == "__main__":
    main()
