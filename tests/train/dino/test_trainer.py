"""The design training loop, tiny and end to end: training, resume, log, export, strict reload."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from skill.encoders.encoder import load_encoder
from skill.train.data import ImageCache
from skill.train.dino.trainer import train
from tests.shapes import draw_dresses_and_trousers


def _log(folder):
    return [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]


def test_one_step_trains_exports_and_reloads(tmp_path, design_config, photo_items):
    cache = ImageCache.from_images(draw_dresses_and_trousers(), size=40)
    config = design_config(max_steps_per_epoch=1, eval_at_end=True, invariance_sample=2)
    reports = []
    summary = train(
        config, progress=lambda *report: reports.append(report), cache=cache, val_items=photo_items
    )
    log = _log(tmp_path / "run")
    assert len(log) == 1 and log[0]["step"] == 1 and np.isfinite(log[0]["loss"])
    assert {"lr", "momentum", "seconds", "val"} <= set(log[0])
    assert ("training (skill)", 1, 1, "steps") in reports
    assert any(report[0] == "evaluating" for report in reports)
    assert 0.0 <= summary["metrics"]["hit@1"] <= 1.0
    encoder = load_encoder(summary["encoder"])  # strict
    assert encoder.info.config["training"]["method"] == "skill"
    assert encoder.info.config["metrics"]["gallery"] == 6
    assert encoder(torch.randn(2, 3, 32, 32)).shape == (2, 1280)
    assert encoder.preprocess.resize_mode == "pad" and encoder.preprocess.input_size == 32


def test_export_with_head_reloads(design_config):
    cache = ImageCache.from_images(draw_dresses_and_trousers(4), size=40)
    config = design_config(method="dino", max_steps_per_epoch=1, export_head=True)
    encoder = load_encoder(train(config, cache=cache)["encoder"])
    assert encoder.head is not None and encoder(torch.randn(1, 3, 32, 32)).shape == (1, 16)
    assert encoder.info.name == "dino-design"
    assert encoder.info.display_name == "Design (plain DINO)"


def test_resume_after_interruption_matches_an_uninterrupted_run(tmp_path, design_config):
    cache = ImageCache.from_images(draw_dresses_and_trousers(4), size=40)
    straight = design_config(epochs=2, output_dir=str(tmp_path / "a"))
    train(straight, cache=cache)

    def interrupt(stage, done, total, unit="photos"):
        if unit == "steps" and done == 3:
            raise KeyboardInterrupt

    resumed = design_config(epochs=2, output_dir=str(tmp_path / "b"))
    with pytest.raises(KeyboardInterrupt):
        train(resumed, progress=interrupt, cache=cache)
    train(resumed, cache=cache)
    a = load_encoder(tmp_path / "a" / "encoder").state_dict()
    b = load_encoder(tmp_path / "b" / "encoder").state_dict()
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    assert [record["epoch"] for record in _log(tmp_path / "b")] == [1, 2]


def test_run_records_its_config_with_paths_as_given(tmp_path, design_config):
    cache = ImageCache.from_images(draw_dresses_and_trousers(4), size=40)
    config = design_config(max_steps_per_epoch=1, images_dir="photos/relative")
    summary = train(config, cache=cache)
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())
    assert recorded["images_dir"] == "photos/relative"
    training = load_encoder(summary["encoder"]).info.config["training"]
    assert training["data"]["images_dir"] == "photos/relative"
    assert training["config"] == recorded


def test_ship_encoder_adds_notes_and_reloads(tmp_path, design_config):
    from skill.train.export import ship_encoder

    cache = ImageCache.from_images(draw_dresses_and_trousers(4), size=40)
    source = train(design_config(max_steps_per_epoch=1), cache=cache)["encoder"]
    shipped = ship_encoder(
        source,
        tmp_path / "assets" / "skill-design",
        {"ablation": {"x": 1}},
        name="renamed",
        display_name="Renamed (label-free)",
    )
    encoder = load_encoder(shipped)
    assert encoder.info.config["training"]["ablation"] == {"x": 1}
    assert encoder.info.name == "renamed"
    assert encoder.info.display_name == "Renamed (label-free)"
    assert encoder.info.config["training"]["method"] == "skill"


def test_view_bank_run_trains_on_stored_maps_and_reloads_with_max_pool(tmp_path, design_config):
    cache = ImageCache.from_images(draw_dresses_and_trousers(), size=40)
    config = design_config(view_bank_rounds=2, global_pool="max", epochs=2)
    summary = train(config, cache=cache)
    bank = tmp_path / "cache" / "bank-skill-r2"
    stored = np.load(bank / "globals.npy", mmap_mode="r")
    assert stored.shape[:2] == (6, 4) and stored.dtype == np.float16  # 2 rounds x 2 globals
    assert np.load(bank / "locals.npy", mmap_mode="r").shape[:2] == (6, 4)
    log = _log(tmp_path / "run")
    assert [r["step"] for r in log] == [3, 6] and all(np.isfinite(r["loss"]) for r in log)
    encoder = load_encoder(summary["encoder"])
    assert encoder.info.config["backbone_kwargs"] == {"global_pool": "max"}
    assert encoder.backbone.global_pool.pool_type == "max"
    # A second run over the same cache reopens the bank instead of recomputing it.
    before = (bank / "globals.npy").stat().st_mtime_ns
    train(dataclasses.replace(config, output_dir=str(tmp_path / "run2")), cache=cache)
    assert (bank / "globals.npy").stat().st_mtime_ns == before


def test_photo_bank_run_pairs_plain_with_recoloured_and_ships_whitening(
    tmp_path, photo_config, photo_items
):
    config = photo_config(photo_recolorings=2, whiten_dim=24, epochs=2)
    summary = train(config, train_items=photo_items)
    bank = tmp_path / "cache" / "photo-bank-skill-c2-s0-gray-f4"
    stored = np.load(bank / "globals.npy", mmap_mode="r")
    assert stored.shape[:2] == (6, 4)  # photo, mirror, 2 recoloured copies
    assert not np.array_equal(stored[:, 0], stored[:, 2])
    log = _log(tmp_path / "run")
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


def test_photo_bank_run_with_neighbour_views_logs_its_pairs(tmp_path, photo_config, photo_items):
    config = photo_config(
        photo_recolorings=1, epochs=2, neighbour_views=0.5, neighbour_quantile=0.0
    )
    summary = train(config, train_items=photo_items)
    log = _log(tmp_path / "run")
    assert all(r["neighbour_pairs"] >= 1 for r in log)  # 6 photos: at least one mutual pair
    assert all(np.isfinite(r["loss"]) for r in log)
    assert load_encoder(summary["encoder"]).embedding_dim > 0
    with pytest.raises(ValueError, match="neighbour_views needs"):
        dataclasses.replace(config, bank_source="views", num_local=2)
