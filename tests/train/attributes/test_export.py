"""Tests of skill.train.attributes.export and figures: a run folder becomes a model folder."""

import json

import numpy as np
import torch
from PIL import Image

from skill.attributes.model import AttributeHead, HeadConfig
from skill.evaluation.attributes import attribute_metrics
from skill.train.attributes.config import ATTRIBUTE_PRESETS

LABELS = ["pattern: Stripe", "type: Dress", "hood"]


def _run(folder, rng):
    """A run folder with two variants; ``attention`` separates the labels better."""
    values = {
        s: (rng.random((40, 3)) < 0.4).astype(np.float32) for s in ("calibration", "validation")
    }
    known = {s: np.ones_like(v, bool) for s, v in values.items()}
    np.savez(folder / "labels.npz", **{f"{s}_values": values[s] for s in values},
             **{f"{s}_known": known[s] for s in known})  # fmt: skip
    results = {"labels": LABELS, "splits": {"fit": 80, "calibration": 40, "validation": 40},
               "config": ATTRIBUTE_PRESETS["smoke"].to_dict(), "variants": {}}  # fmt: skip
    for variant, signal in (("pooled", 0.5), ("attention", 2.0)):
        torch.manual_seed(0)
        head = AttributeHead(HeadConfig(num_labels=3, kind=variant))
        (folder / variant).mkdir()
        from safetensors.torch import save_file

        save_file(head.state_dict(), str(folder / variant / "head.safetensors"))
        (folder / variant / "head.json").write_text(json.dumps(head.config.to_dict()))
        figures, probabilities = {"seconds_training": 1.0}, {}
        for split in ("calibration", "validation"):
            for version in ("clean", "clutter"):
                logits = signal * (2 * values[split] - 1) + rng.normal(0, 1, values[split].shape)
                scores = 1 / (1 + np.exp(-logits))
                probabilities[f"{split}_{version}"] = scores.astype(np.float16)
                report = attribute_metrics(scores, values[split], known[split], LABELS)
                figures[f"{split}_{version}"] = report.to_dict()
        np.savez(folder / variant / "probabilities.npz", **probabilities)
        results["variants"][variant] = figures
    (folder / "results.json").write_text(json.dumps(results))
    return results


def test_the_calibration_winner_ships_with_its_card_and_figure(tmp_path):
    from skill.attributes.checkpoint import load_attribute_model
    from skill.train.attributes.export import ship_attribute_model

    results = _run(tmp_path, np.random.default_rng(0))
    folder = ship_attribute_model(tmp_path, tmp_path / "out" / "fashion-attributes")
    model = load_attribute_model(folder)
    assert model.labels == LABELS and model.config["training"]["variant"] == "attention"
    assert "localisation-guided attention" in model.config["display_name"]
    card = (folder / "MODEL_CARD.md").read_text()
    auc = results["variants"]["pooled"]["validation_clutter"]["mean_auc"]
    assert "| attention (shipped) |" in card and f"| {auc:.4f} |" in card
    assert Image.open(folder / "figures.png").size[0] == 900
    pooled = ship_attribute_model(tmp_path, tmp_path / "out" / "p", name="p", variant="pooled")
    assert "pooled features" in load_attribute_model(pooled).config["display_name"]
