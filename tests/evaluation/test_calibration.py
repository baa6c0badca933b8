"""Fitting an encoder's same-design rule on labelled photos and storing it with the encoder."""

import json
import shutil

import pandas as pd

from skill.encoders.encoder import load_encoder
from skill.evaluation.calibration import calibrate_encoder, store_rule, trained_on_tune
from tests.shapes import write_shapes


def test_trained_on_tune_reads_the_run_settings_a_checkpoint_records():
    assert not trained_on_tune(None)  # a built-in encoder: no run
    assert not trained_on_tune({"training": {}})
    assert trained_on_tune({"training": {"config": {"method": "skill"}}})  # before tune splits
    assert trained_on_tune({"training": {"config": {"tune_fraction": 0.0}}})
    assert not trained_on_tune({"training": {"config": {"tune_fraction": 0.2}}})


def test_rule_is_fitted_on_left_out_queries_and_stored_in_the_checkpoint(
    tiny_encoder_dir, tmp_path
):
    photos = tmp_path / "photos"
    rows = write_shapes(photos, copies=3, csv_name=None)
    # Copies 0 and 1 of a shape are one design, copy 2 (3 px further) another: the nearest
    # photo is the same colour one copy away, so some answers are right and some wrong.
    items = pd.DataFrame(
        [{"image_path": r["image_path"], "design_id": r["design_id"] + ("a" if r["id"][-1] < "2" else "b")}
         for r in rows]
    )  # fmt: skip
    folder = shutil.copytree(tiny_encoder_dir, tmp_path / "encoder")
    encoder = load_encoder(folder)
    record = calibrate_encoder(encoder, items, photos, "shapes")
    fitted = record["fitted"]
    assert fitted["queries"] == len(items)
    assert fitted["source"] == f"{len(items)} photos of shapes, each searched with itself left out"
    assert 0.0 <= fitted["hit@1"] <= 1.0
    digest = encoder.digest
    store_rule(encoder, record)
    stored = json.loads((folder / "config.json").read_text())["same_design"]
    assert stored == json.loads(json.dumps(record))
    reloaded = load_encoder(folder)
    assert reloaded.digest == digest  # the weights are untouched
    assert reloaded.info.config["same_design"]["accept"] == record["accept"]


def test_evaluation_reports_the_shipped_rule_closed_and_open(tiny_encoder_dir, tmp_path):
    import numpy as np

    from skill.catalog.same_design import SameDesignRule
    from skill.evaluation.protocol import same_design_figures

    folder = shutil.copytree(tiny_encoder_dir, tmp_path / "encoder")
    encoder = load_encoder(folder)
    x = np.random.default_rng(0).normal(size=(60, encoder.embedding_dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    designs = np.repeat(np.arange(20), 3).astype(str)
    assert same_design_figures(encoder, x, designs)["same_design_rule"] == "none"
    rule = SameDesignRule((0, 0, 0, 0), (1, 1, 1, 1), (0, 0, 0, 0), 0.0, accept=0.4)
    store_rule(encoder, rule.to_dict())  # every answer at probability 0.5: all answered
    figures = same_design_figures(load_encoder(folder), x, designs)
    assert figures["same_design_answered"] == 1.0
    assert figures["same_design_open_answered_absent"] == 1.0
    assert figures["same_design_open_precision"] < figures["same_design_precision"] + 1e-9
