"""A tiny end-to-end run on drawn images: training, resume, log, export and strict reload."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image, ImageDraw

from skill.encoders.registry import load_encoder
from skill.train.data import ImageCache
from skill.train.dino.config import PRESETS, TrainConfig
from skill.train.dino.trainer import train


def _photos(n=6, size=48):
    """Two 'designs' (dress, trousers) in three colours each, on a white background."""
    colours = [(200, 30, 30), (30, 120, 200), (40, 40, 40)]
    images = []
    for i in range(n):
        image = Image.new("RGB", (size, int(size * 1.5)), "white")
        draw = ImageDraw.Draw(image)
        colour = colours[i % 3]
        if i < n // 2:
            draw.polygon([(24, 6), (12, 66), (36, 66)], fill=colour)
        else:
            draw.rectangle((12, 6, 20, 66), fill=colour)
            draw.rectangle((28, 6, 36, 66), fill=colour)
        images.append(image)
    return images


def _config(tmp_path, **changes):
    base = TrainConfig(
        architecture="tf_efficientnet_lite0",
        pretrained=None,
        output_dir=str(tmp_path / "run"),
        images_dir=str(tmp_path / "images"),
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


def _val_items(tmp_path, images):
    folder = tmp_path / "images"
    folder.mkdir(exist_ok=True)
    rows = []
    for i, image in enumerate(images):
        image.save(folder / f"{i}.png")
        rows.append({"image_path": f"{i}.png", "design_id": str(i // 3), "color": str(i % 3)})
    return pd.DataFrame(rows)


def test_one_step_trains_exports_and_reloads(tmp_path):
    images = _photos()
    cache = ImageCache.from_images(images, size=40)
    config = _config(tmp_path, max_steps_per_epoch=1, eval_at_end=True, invariance_sample=2)
    summary = train(config, cache=cache, val_items=_val_items(tmp_path, images))
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert len(log) == 1 and log[0]["step"] == 1 and np.isfinite(log[0]["loss"])
    assert {"lr", "momentum", "seconds", "val"} <= set(log[0])
    assert 0.0 <= summary["metrics"]["hit@1"] <= 1.0
    encoder = load_encoder(summary["encoder"])  # strict
    assert encoder.info.config["training"]["method"] == "skill"
    assert encoder.info.config["metrics"]["gallery"] == 6
    assert encoder(torch.randn(2, 3, 32, 32)).shape == (2, 1280)
    assert encoder.preprocess.resize_mode == "pad" and encoder.preprocess.input_size == 32


def test_export_with_head_reloads(tmp_path):
    cache = ImageCache.from_images(_photos(4), size=40)
    config = _config(tmp_path, method="dino", max_steps_per_epoch=1, export_head=True)
    encoder = load_encoder(train(config, cache=cache)["encoder"])
    assert encoder.head is not None and encoder(torch.randn(1, 3, 32, 32)).shape == (1, 16)


def test_resume_after_interruption_matches_an_uninterrupted_run(tmp_path):
    cache = ImageCache.from_images(_photos(4), size=40)
    straight = _config(tmp_path / "a", epochs=2)
    train(straight, cache=cache)

    def interrupt(step, total, loss):
        if step == 3:
            raise KeyboardInterrupt

    resumed = _config(tmp_path / "b", epochs=2)
    with pytest.raises(KeyboardInterrupt):
        train(resumed, progress=interrupt, cache=cache)
    train(resumed, cache=cache)
    a = load_encoder(tmp_path / "a" / "run" / "encoder").state_dict()
    b = load_encoder(tmp_path / "b" / "run" / "encoder").state_dict()
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    log = (tmp_path / "b" / "run" / "log.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in log] == [1, 2]


def test_presets_are_valid():
    assert PRESETS["cpu"].device == "auto" and PRESETS["gpu"].global_size == 224
    assert PRESETS["gpu"].frozen_stages == 0
    with pytest.raises(ValueError, match="method"):
        TrainConfig(method="simclr")


def test_prototypes_start_at_training_photos(tmp_path):
    from skill.train.dino.trainer import create_model, init_prototypes
    from skill.train.views import normalize_image

    cache = ImageCache.from_images(_photos(4), size=40)
    config = _config(tmp_path, out_dim=4)
    model = create_model(config)
    init_prototypes(model, cache, config, torch.device("cpu"))
    chosen = np.random.default_rng(config.seed).choice(4, size=4, replace=False)
    model.eval()
    with torch.no_grad():
        batch = torch.stack([normalize_image(cache.image(int(i)).resize((32, 32))) for i in chosen])
        logits = model.head(model.run_tail(model.run_trunk(batch)))
    assert torch.equal(logits.argmax(-1), torch.arange(4))
    assert torch.allclose(logits.diagonal(), torch.ones(4), atol=1e-5)


def test_ship_encoder_adds_notes_and_reloads(tmp_path):
    from skill.train.export import ship_encoder

    cache = ImageCache.from_images(_photos(4), size=40)
    source = train(_config(tmp_path, max_steps_per_epoch=1), cache=cache)["encoder"]
    shipped = ship_encoder(
        source, tmp_path / "assets" / "skill-design", {"ablation": {"x": 1}}, name="renamed"
    )
    encoder = load_encoder(shipped)
    assert encoder.info.config["training"]["ablation"] == {"x": 1}
    assert encoder.info.name == "renamed"
    assert encoder.info.config["training"]["method"] == "skill"


def test_view_bank_run_trains_on_stored_maps_and_reloads_with_max_pool(tmp_path):
    images = _photos()
    cache = ImageCache.from_images(images, size=40)
    config = _config(
        tmp_path, view_bank_rounds=2, global_pool="max", epochs=2, cache_dir=str(tmp_path / "c")
    )
    summary = train(config, cache=cache)
    bank = tmp_path / "c" / "bank-skill-r2"
    stored = np.load(bank / "globals.npy", mmap_mode="r")
    assert stored.shape[:2] == (6, 4) and stored.dtype == np.float16  # 2 rounds x 2 globals
    assert np.load(bank / "locals.npy", mmap_mode="r").shape[:2] == (6, 4)
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [3, 6] and all(np.isfinite(r["loss"]) for r in log)
    encoder = load_encoder(summary["encoder"])
    assert encoder.info.config["backbone_kwargs"] == {"global_pool": "max"}
    assert encoder.backbone.global_pool.pool_type == "max"
    # A second run over the same cache reopens the bank instead of recomputing it.
    before = (bank / "globals.npy").stat().st_mtime_ns
    train(dataclasses.replace(config, output_dir=str(tmp_path / "run2")), cache=cache)
    assert (bank / "globals.npy").stat().st_mtime_ns == before


def test_view_bank_needs_a_frozen_trunk(tmp_path):
    with pytest.raises(ValueError, match="frozen_stages"):
        _config(tmp_path, view_bank_rounds=2, frozen_stages=0)


def test_set_strings_become_typed_changes():
    from skill.train.dino.config import parse_settings
    from skill.train.variants.config import make_variant_config

    changes = parse_settings(
        PRESETS["cpu"],
        [
            "input_grayscale=true",
            "invert_prob=0.3",
            "global_scale=0.2,0.8",
            "epochs=2",
            "max-steps-per-epoch=7",
            "name=x",
        ],
    )
    assert changes == {
        "input_grayscale": True,
        "invert_prob": 0.3,
        "global_scale": (0.2, 0.8),
        "epochs": 2,
        "max_steps_per_epoch": 7,
        "name": "x",
    }
    assert parse_settings(PRESETS["cpu"], ["max_steps_per_epoch=none"]) == {
        "max_steps_per_epoch": None
    }
    with pytest.raises(ValueError, match="field=value"):
        parse_settings(PRESETS["cpu"], ["nonsense=1"])
    with pytest.raises(ValueError, match="cannot read"):
        parse_settings(PRESETS["cpu"], ["epochs=many"])
    config = make_variant_config("cpu", "triplet", ["train_photos=50", "val_photos=none"])
    assert config.train_photos == 50 and config.val_photos is None


def _photo_config(tmp_path, **changes):
    """The CPU preset's recipe shape (photo bank, grey, max pool, crop) at test size."""
    base = _config(
        tmp_path,
        bank_source="photos",
        photo_recolorings=1,
        num_local=0,
        global_pool="max",
        input_grayscale=True,
        eval_resize_mode="crop",
        cache_dir=str(tmp_path / "c"),
    )
    return dataclasses.replace(base, **changes)


def test_photo_bank_run_pairs_plain_with_recoloured_and_ships_whitening(tmp_path):
    images = _photos()
    items = _val_items(tmp_path, images)
    config = _photo_config(tmp_path, photo_recolorings=2, whiten_dim=24, epochs=2)
    summary = train(config, train_items=items)
    bank = tmp_path / "c" / "photo-bank-skill-c2-s0-gray-f4"
    stored = np.load(bank / "globals.npy", mmap_mode="r")
    assert stored.shape[:2] == (6, 4)  # photo, mirror, 2 recoloured copies
    assert not np.array_equal(stored[:, 0], stored[:, 2])
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [3, 6] and all(np.isfinite(r["loss"]) for r in log)

    encoder = load_encoder(summary["encoder"])
    assert encoder.embedding_dim == 24
    assert encoder.info.config["head"]["type"] == "linear"
    # The shipped head whitens the teacher's features of the plain training photos.
    with torch.no_grad():
        maps = torch.from_numpy(np.asarray(stored[:, 0], np.float32))
        tail = encoder.backbone
        x = tail.bn2(tail.conv_head(torch.nn.Sequential(*list(tail.blocks)[4:])(maps)))
        white = encoder.head(tail.forward_head(x)).double().numpy()
    assert np.allclose(white.mean(0), 0.0, atol=1e-3)


def test_photo_bank_recipe_rejects_local_views(tmp_path):
    with pytest.raises(ValueError, match="num_local"):
        _config(tmp_path, bank_source="photos", num_local=2)


def test_untrained_start_point_ships_the_same_whitening_with_untouched_weights(tmp_path):
    from skill.encoders.registry import create_backbone
    from skill.train.dino.trainer import export_untrained

    images = _photos()
    items = _val_items(tmp_path, images)
    config = _photo_config(
        tmp_path, whiten_dim=8, eval_at_end=True, invariance_sample=2, pretrained="pypi"
    )
    summary = export_untrained(config, val_items=items, train_items=items)
    encoder = load_encoder(summary["encoder"])
    assert encoder.info.name == "skill-design-untrained" and encoder.embedding_dim == 8
    assert summary["metrics"]["gallery"] == 6 and summary["epochs"] == 0
    start = create_backbone("tf_efficientnet_lite0", pretrained="pypi", global_pool="max")
    for key, value in start.state_dict().items():
        assert torch.equal(encoder.backbone.state_dict()[key], value), key
