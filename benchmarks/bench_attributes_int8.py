"""The shipped attribute model in int8 against float: label quality, fact tags and speed.

The attribute network (trunk, tail, head; what a build runs beside an encoder that does not
share its trunk) is exported to ONNX and quantised with the encoders' shipped settings
(:mod:`skill.encoders.quantize`: static, weights per channel, ranges from 256 photos of
*training* designs). Both score the validation designs' photos of the shared H&M set
(``skill.evaluation.splits.read_split``), labelled from the CSV as the model was trained
(:func:`skill.attributes.labels.label_matrix`):

- mean ROC AUC and AP over the labels (:func:`skill.evaluation.attributes.attribute_metrics`);
- the fact tags at the model's shipped thresholds (fitted on float probabilities): how many
  (photo, label) facts int8 adds or drops, and the tags' precision over the labels;
- the model stage alone on a ready batch (``bench_ingest.time_models``: blocks, sessions that
  do not spin, as a build runs them).

    python benchmarks/bench_attributes_int8.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import describe_machine, time_models
from bench_quantize import (
    HM,
    add_measurement_flags,
    embed_both,
    load,
    validation_and_calibration,
)

from skill.attributes.checkpoint import DEFAULT_MODEL, load_attribute_model
from skill.attributes.labels import label_matrix
from skill.attributes.tags import fact_matrix
from skill.encoders.embedding import prepare
from skill.encoders.onnx import create_onnx_encoder
from skill.encoders.quantize import create_int8_encoder
from skill.evaluation.attributes import attribute_metrics
from skill.train.attributes.calibration import tag_precision


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    add_measurement_flags(parser)
    args = parser.parse_args()

    print(f"machine: {describe_machine()}")
    print(f"command: python {' '.join(sys.argv)}")
    val, paths, calibration = validation_and_calibration(
        args.val_photos, args.calibration_photos, args.calibration_seed
    )
    model = load_attribute_model(args.model)
    network = model.network(with_trunk=True)
    csv = pd.read_csv(HM / "articles.csv", dtype=str, keep_default_na=False)
    csv = csv.drop_duplicates("image_path").set_index("image_path")
    truth = label_matrix(csv.loc[val["image_path"]].reset_index(), model.labels)
    print(f"model {model.name} ({len(model.labels)} labels)")

    with tempfile.TemporaryDirectory() as tmp:
        float_model = create_onnx_encoder(network, cache_dir=tmp, spinning=False)
        int8_model = create_int8_encoder(network, calibration, Path(tmp) / "int8", spinning=False)
        outs = embed_both(float_model, {"int8": int8_model}, network, paths)
        print(f"embedded ({load()})", flush=True)
        batch = torch.stack([prepare(p, network) for p in paths[: args.batch_size]])
        speeds = time_models({"float": float_model, "int8": int8_model}, batch, args.rounds)

    facts = {name: fact_matrix(p, model.thresholds) for name, p in outs.items()}
    difference = np.abs(outs["int8"] - outs["float"])
    print()
    print(f"{'model':<8}{'mean AUC':>10}{'mean AP':>10}{'facts':>9}{'tag prec.':>11}"
          f"{'img/s':>9}{'x float':>9}")  # fmt: skip
    for name, probabilities in outs.items():
        report = attribute_metrics(probabilities, truth.values, truth.known, truth.labels)
        tags = tag_precision(
            probabilities, truth.values, truth.known, model.thresholds, truth.labels
        )
        precision = tags["correct"].sum() / max(tags["tagged"].sum(), 1)
        print(
            f"{name:<8}{report.mean_auc:>10.4f}{report.mean_ap:>10.4f}"
            f"{int(facts[name].sum()):>9}{precision:>11.3f}{speeds[name]:>9.1f}"
            f"{speeds[name] / speeds['float']:>9.2f}"
        )
    added = int((facts["int8"] & ~facts["float"]).sum())
    dropped = int((~facts["int8"] & facts["float"]).sum())
    print(
        f"\nfacts int8 adds {added} and drops {dropped} of float's {int(facts['float'].sum())} "
        f"(over {facts['float'].size} photo-label pairs); |int8 - float| probability: mean "
        f"{difference.mean():.4f}, 99th percentile {np.quantile(difference, 0.99):.4f}, "
        f"max {difference.max():.4f}"
    )
    print(f"tag prec.: correct / tagged over every thresholded label. End: {load()}")


if __name__ == "__main__":
    main()
