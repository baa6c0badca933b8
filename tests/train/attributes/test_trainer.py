"""Tests of skill.train.attributes.trainer on a small synthetic feature store."""

import dataclasses

import numpy as np
import pytest

from skill.evaluation.attributes import roc_auc
from skill.train.attributes.config import ATTRIBUTE_PRESETS, AttributeTrainConfig
from skill.train.attributes.features import FeatureStore
from skill.train.attributes.trainer import Split, choose_winner, fit_variant, format_table, predict


def _store(n=32, seed=0):
    """Photos whose label 0 shows as a strong signal in the product's cells only."""
    rng = np.random.default_rng(seed)
    clean = rng.normal(0, 1, (n, 320, 7, 7)).astype(np.float16)
    clutter = rng.normal(0, 1, (n, 320, 7, 7)).astype(np.float16)
    product = np.zeros((n, 7, 7), np.float32)
    product[:, 2:5, 2:5] = 1.0
    labels = (np.arange(n) % 2).astype(np.float32)
    for array in (clean, clutter):
        array[labels == 1, :40, 2:5, 2:5] += 3.0
    masks = {"clean": product, "clutter": product, "clutter_estimated": np.ones_like(product)}
    store = FeatureStore([f"p{i}" for i in range(n)], clean, clutter, masks)
    values = np.stack([labels, 1 - labels], axis=1)
    return store, Split(np.arange(n), values, np.ones_like(values, bool))


@pytest.mark.parametrize(
    "variant", ["attention", pytest.param("pooled", marks=pytest.mark.slow),
                pytest.param("masked-oracle", marks=pytest.mark.slow)],
)  # fmt: skip
def test_each_variant_learns_a_signal_on_the_product(variant):
    from skill.attributes.trunk import imagenet_backbone
    from skill.train.attributes.features import head_modules

    store, split = _store()
    config = dataclasses.replace(ATTRIBUTE_PRESETS["smoke"], epochs=5, batch_size=16, lr=3e-3)
    head = fit_variant(variant, store, split, head_modules(imagenet_backbone()), 2, config)
    for version in ("clean", "clutter"):
        scores = predict(head, variant, store, split, version, head_modules(imagenet_backbone()))
        assert scores.shape == (32, 2)
        assert roc_auc(scores[:, 0], split.values[:, 0]) > 0.9


def test_the_winner_is_chosen_on_the_calibration_designs_only():
    def figures(calibration, validation):
        entry = lambda auc: {"mean_auc": auc, "mean_ap": auc}  # noqa: E731
        return {"calibration_clean": entry(calibration), "calibration_clutter": entry(calibration),
                "validation_clean": entry(validation), "validation_clutter": entry(validation)}  # fmt: skip

    results = {"variants": {"pooled": figures(0.8, 0.9), "attention": figures(0.85, 0.7),
                            "masked-oracle": figures(0.99, 0.99)}}  # fmt: skip
    assert choose_winner(results) == "attention"  # not the oracle, not the validation's best
    table = format_table(results)
    assert "| attention | learned | 0.7000 |" in table and "| masked-oracle | oracle |" in table


def test_configs_are_checked():
    with pytest.raises(ValueError, match="variants must be among"):
        AttributeTrainConfig(variants=("transformer",))
    with pytest.raises(ValueError, match="precision_target"):
        AttributeTrainConfig(precision_target=0.0)


def test_resume_keeps_only_finished_variants_of_the_same_recipe(tmp_path):
    import json

    from skill.train.attributes.trainer import _finished_variants, results_config

    config = dataclasses.replace(ATTRIBUTE_PRESETS["smoke"], variants=("pooled", "attention"))
    _, split = _store(n=4)
    identity = results_config(config, ["a", "b"], {"fit": split})
    done = {"pooled": {"seconds_training": 1.0}, "attention": {"seconds_training": 2.0}}
    (tmp_path / "results.json").write_text(json.dumps({**identity, "variants": done}))
    (tmp_path / "pooled").mkdir()
    (tmp_path / "pooled" / "head.safetensors").write_bytes(b"")
    # attention has figures but no saved head (killed while saving): trained again
    assert _finished_variants(tmp_path, identity) == {"pooled": done["pooled"]}
    more = results_config(dataclasses.replace(config, variants=("masked",)), ["a", "b"],
                          {"fit": split})  # fmt: skip
    assert _finished_variants(tmp_path, more) == {"pooled": done["pooled"]}  # variants may differ
    longer = results_config(dataclasses.replace(config, epochs=2), ["a", "b"], {"fit": split})
    assert _finished_variants(tmp_path, longer) == {}  # another budget: nothing is kept
    assert _finished_variants(tmp_path, results_config(config, ["a"], {"fit": split})) == {}
    assert _finished_variants(tmp_path / "none", identity) == {}
