"""Tests of skill.encoders.checkpoint: safetensors + config.json folders, validation, refusing pickles."""

import json
import struct

import pytest
import torch

from skill.encoders.checkpoint import (
    CONFIG_FILE,
    FORMAT_VERSION,
    WEIGHTS_FILE,
    CheckpointError,
    file_digest,
    is_checkpoint_dir,
    load_checkpoint,
    read_config,
    save_checkpoint,
    validate_config,
)

CONFIG = {
    "name": "tiny",
    "architecture": "resnet10t",
    "feature_dim": 512,
    "embedding_dim": 32,
    "preprocess": {"input_size": 64},
}


def _state() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {"a.weight": torch.randn(4, 3, generator=generator), "b.bias": torch.zeros(5)}


def test_save_and_load_round_trip(tmp_path):
    folder = save_checkpoint(tmp_path / "ckpt", _state(), CONFIG)
    assert is_checkpoint_dir(folder)
    state, config = load_checkpoint(folder)
    assert config["format_version"] == FORMAT_VERSION and config["name"] == "tiny"
    for key, value in _state().items():
        assert torch.equal(state[key], value)


def test_saving_again_replaces_atomically(tmp_path):
    save_checkpoint(tmp_path / "ckpt", _state(), CONFIG)
    save_checkpoint(tmp_path / "ckpt", {"c": torch.ones(2)}, {**CONFIG, "name": "second"})
    state, config = load_checkpoint(tmp_path / "ckpt")
    assert list(state) == ["c"] and config["name"] == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]  # no staging left behind


def test_invalid_config_is_not_written(tmp_path):
    with pytest.raises(CheckpointError, match="missing keys"):
        save_checkpoint(tmp_path / "ckpt", _state(), {"name": "x"})
    assert not (tmp_path / "ckpt").exists()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ([1, 2], "JSON object"),
        ({k: v for k, v in CONFIG.items() if k != "architecture"}, "missing keys"),
        ({**CONFIG, "format_version": 1, "embedding_dim": "32"}, "wrong type"),
        ({**CONFIG, "format_version": 1, "head": "mlp"}, "wrong type"),
        ({**CONFIG, "format_version": FORMAT_VERSION + 1}, "newer"),
        ({**CONFIG, "format_version": 1, "embedding_dim": 0}, r"\[1, 8192\]"),
    ],
)
def test_validate_config_errors(config, message):
    with pytest.raises(CheckpointError, match=message):
        validate_config(config)


def _folder_with(tmp_path, config_text: str, weights: bytes | None = None):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / CONFIG_FILE).write_text(config_text)
    if weights is not None:
        (folder / WEIGHTS_FILE).write_bytes(weights)
    return folder


def test_config_that_is_not_json_is_refused(tmp_path):
    folder = _folder_with(tmp_path, "{not json", b"")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        read_config(folder)


def test_missing_folder_and_missing_weights(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        read_config(tmp_path / "nowhere")
    folder = _folder_with(tmp_path, json.dumps({**CONFIG, "format_version": 1}))
    with pytest.raises(CheckpointError, match=f"missing {WEIGHTS_FILE}"):
        load_checkpoint(folder)


def test_pickled_file_is_refused_without_unpickling(tmp_path):
    marker = tmp_path / "ran"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "model.pth"
    torch.save({"weights": torch.ones(2), "x": Exploit()}, path)
    with pytest.raises(CheckpointError, match="pickled checkpoints are refused"):
        load_checkpoint(path)
    assert not marker.exists()


def test_folder_with_only_a_pickle_names_it(tmp_path):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    torch.save({"w": torch.ones(2)}, folder / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="pytorch_model.bin"):
        load_checkpoint(folder)


@pytest.mark.parametrize(
    "weights",
    [
        b"",  # empty
        b"\x00" * 3,  # shorter than the header length
        struct.pack("<Q", 10**12) + b"{}",  # header length far past the end of the file
        struct.pack("<Q", 9) + b"not json!",  # header is not JSON
        struct.pack("<Q", 60)
        + json.dumps({"w": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}})
        .encode()
        .ljust(60)
        + b"\x00" * 8,  # tensor data past the end of the file
    ],
)
def test_malformed_safetensors_is_refused(tmp_path, weights):
    folder = _folder_with(tmp_path, json.dumps({**CONFIG, "format_version": 1}), weights)
    with pytest.raises(CheckpointError, match="not a valid safetensors file"):
        load_checkpoint(folder)


def test_file_digest_names_the_content(tmp_path):
    (tmp_path / "a").write_bytes(b"abc")
    (tmp_path / "b").write_bytes(b"abd")
    assert len(file_digest(tmp_path / "a")) == 12
    assert file_digest(tmp_path / "a") != file_digest(tmp_path / "b")


def test_write_config_keeps_weights_and_writes_undefined_figures_as_null(
    tiny_encoder_dir, tmp_path
):
    import math
    import shutil

    from skill.encoders.checkpoint import file_digest, read_config, write_config

    folder = shutil.copytree(tiny_encoder_dir, tmp_path / "encoder")
    digest = file_digest(folder / "model.safetensors")
    config = read_config(folder)
    write_config(folder, {**config, "metrics": {"hit@1": 0.5, "same_design_precision": math.nan}})
    again = read_config(folder)  # the strict reader: no NaN in the file
    assert again["metrics"] == {"hit@1": 0.5, "same_design_precision": None}
    assert file_digest(folder / "model.safetensors") == digest
    with pytest.raises(CheckpointError):
        write_config(folder, {**config, "name": "../escape"})
    assert read_config(folder)["name"] == config["name"]  # a refused config is not written
