"""The ``gpu`` recipe, one step on a CPU: fine-tuning exports a strict checkpoint."""

import pytest

from skill.encoders.encoder import load_encoder
from skill.train.variants.config import VariantConfig
from skill.train.variants.finetune import finetune_variant


def _config(root, method, **changes) -> VariantConfig:
    return VariantConfig(
        method=method,
        recipe="gpu",
        images_dir=str(root),
        output_dir=str(root / "run"),
        image_cache_dir=str(root / "cache"),
        image_cache_size=40,
        pretrained=None,
        view_size=32,
        embedding_dim=8,
        hidden_dim=16,
        epochs=1,
        max_steps_per_epoch=1,
        device="cpu",
        **changes,
    )


@pytest.mark.slow
@pytest.mark.parametrize("method", ["triplet", "atl"])
def test_gpu_recipe_runs_one_step_on_cpu_and_exports_a_strict_checkpoint(articles_catalog, method):
    config = _config(articles_catalog, method, batch_classes=2, per_class=2, invariance_sample=2)
    summary = finetune_variant(config)
    encoder = load_encoder(summary["encoder"])
    assert summary["output_dir"] == config.output_dir
    assert encoder.info.role == "colour-variant" and encoder.embedding_dim == 8
    assert encoder.info.config["training"]["recipe"] == "gpu"
    assert 0.0 <= encoder.info.config["metrics"]["hit@1"] <= 1.0
    assert (articles_catalog / "run" / "state" / "state.json").is_file()


@pytest.mark.slow
def test_gpu_recipe_parts_runs_one_step_on_cpu(articles_catalog):
    config = _config(articles_catalog, "parts", batch_size_gpu=4, invariance_sample=0)
    encoder = load_encoder(finetune_variant(config)["encoder"])
    assert encoder.info.config["training"]["method"] == "parts"


def test_the_gpu_recipe_refuses_another_recipe(articles_catalog):
    with pytest.raises(ValueError, match="gpu recipe"):
        finetune_variant(VariantConfig(recipe="cpu"))
