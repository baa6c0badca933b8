"""Fixtures of the training tests: tiny design-run configs and small labelled photo folders."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from skill.train.dino.config import TrainConfig
from tests.shapes import draw_dresses_and_trousers, write_articles_catalog


@pytest.fixture
def design_config(tmp_path):
    """``make(**changes)``: a design run small enough for a CPU test (random weights, 32 px
    views, 64 prototypes), its folders under ``tmp_path``."""

    def make(**changes) -> TrainConfig:
        base = TrainConfig(
            architecture="tf_efficientnet_lite0",
            pretrained=None,
            output_dir=str(tmp_path / "run"),
            images_dir=str(tmp_path / "images"),
            cache_dir=str(tmp_path / "cache"),
            epochs=1,
            batch_size=2,
            num_workers=0,
            num_threads=1,
            device="cpu",
            global_size=32,
            local_size=16,
            num_local=2,
            frozen_stages=4,
            out_dim=64,
            hidden_dim=32,
            bottleneck_dim=16,
            warmup_steps=1,
            freeze_last_layer_steps=1,
            eval_at_end=False,
            eval_input_size=32,
            checkpoint_every_steps=1,
            seed=0,
        )
        return dataclasses.replace(base, **changes)

    return make


@pytest.fixture
def photo_config(design_config):
    """``make(**changes)``: the design ``cpu`` preset's shape (photo bank, grey, max pool,
    crop) at test size."""

    def make(**changes) -> TrainConfig:
        return design_config(
            **{
                "bank_source": "photos",
                "photo_recolorings": 1,
                "num_local": 0,
                "global_pool": "max",
                "input_grayscale": True,
                "eval_resize_mode": "crop",
                **changes,
            }
        )

    return make


@pytest.fixture
def photo_items(tmp_path):
    """Six photos (:func:`tests.shapes.draw_dresses_and_trousers`) saved under
    ``tmp_path/images``, as an item table with designs and colours."""
    folder = tmp_path / "images"
    folder.mkdir(exist_ok=True)
    rows = []
    for i, image in enumerate(draw_dresses_and_trousers()):
        image.save(folder / f"{i}.png")
        rows.append({"image_path": f"{i}.png", "design_id": str(i // 3), "color": str(i % 3)})
    return pd.DataFrame(rows)


@pytest.fixture
def articles_catalog(tmp_path):
    """A tiny H&M-like folder (:func:`tests.shapes.write_articles_catalog`): 10 designs in 2
    colours with titles, under ``tmp_path``."""
    write_articles_catalog(tmp_path)
    return tmp_path
