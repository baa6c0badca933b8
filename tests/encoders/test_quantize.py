"""Tests of skill.encoders.quantize and the fixed SAME padding of ONNX exports."""

import dataclasses
import importlib
import inspect
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from skill.catalog.build import CatalogConfig, build_catalog
from skill.catalog.projection import MapConfig
from skill.catalog.store import open_catalog
from skill.encoders.encoder import encoder_from_config
from skill.encoders.onnx import create_onnx_encoder, export_onnx, freeze_same_padding
from skill.encoders.quantize import (
    GUARDED_CONVOLUTIONS,
    Int8AgreementError,
    QuantizeConfig,
    create_int8_encoder,
    for_this_cpu,
    int8_cache_name,
    quantize_onnx,
)
from tests.shapes import TINY_CONFIG, write_shapes


class SameNet(nn.Module):
    """TensorFlow-style SAME convolutions, as in timm's tf_efficientnet_lite0."""

    def __init__(self) -> None:
        super().__init__()
        from timm.layers import create_conv2d

        self.a = create_conv2d(3, 8, 3, stride=2, padding="same")
        self.b = create_conv2d(8, 8, 5, stride=2, padding="same", depthwise=True)

    def forward(self, x):
        return self.b(torch.relu(self.a(x))).mean(dim=(2, 3))


def test_freezing_same_padding_keeps_outputs_and_leaves_no_shape_arithmetic(tmp_path):
    from timm.layers.conv2d_same import Conv2dSame

    torch.manual_seed(0)
    model = SameNet().eval()
    assert any(isinstance(m, Conv2dSame) for m in model.modules())
    frozen = freeze_same_padding(model, 45)  # odd size: asymmetric padding
    assert not any(isinstance(m, Conv2dSame) for m in frozen.modules())
    assert any(isinstance(m, Conv2dSame) for m in model.modules())  # the original is untouched
    x = torch.randn(2, 3, 45, 45)
    with torch.no_grad():
        np.testing.assert_allclose(frozen(x).numpy(), model(x).numpy(), atol=1e-6)


@pytest.fixture(scope="module")
def encoder():
    torch.manual_seed(0)
    return encoder_from_config(TINY_CONFIG).eval()


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    write_shapes(folder, copies=2, csv_name=None)
    return sorted(folder.glob("*.jpg"))


def _cosines(a, b):
    return (a * b).sum(axis=1)


def test_static_int8_follows_float_and_is_reused_while_its_settings_hold(encoder, photos, tmp_path):
    float_model = create_onnx_encoder(encoder, cache_dir=tmp_path / "float")
    int8 = create_int8_encoder(encoder, photos[:16], tmp_path / "int8", QuantizeConfig(photos=16))
    x = torch.stack([torch.from_numpy(b) for b in _batches(encoder, photos[16:])])
    expected, got = float_model(x).numpy(), int8(x).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1, atol=1e-4)
    assert _cosines(got, expected).mean() > 0.95  # about 0.98 for lite0 on catalog photos
    assert np.abs(got - expected).max() > 1e-4  # really int8: not the float graph
    stamp = int8.path.stat().st_mtime_ns
    again = create_int8_encoder(encoder, [], tmp_path / "int8", QuantizeConfig(photos=16))
    assert again.path.stat().st_mtime_ns == stamp  # reused without calibration photos
    other = create_int8_encoder(encoder, photos[:16], tmp_path / "int8", QuantizeConfig(photos=8))
    assert other.path.stat().st_mtime_ns != stamp  # other settings: quantised again


def _batches(encoder, paths):
    from skill.encoders.embedding import prepare

    return [prepare(p, encoder).numpy() for p in paths]


def test_dynamic_needs_no_photos_and_static_refuses_to_run_without(encoder, tmp_path):
    path = export_onnx(encoder, tmp_path / "f.onnx")
    quantize_onnx(path, tmp_path / "dynamic.onnx", config=QuantizeConfig(method="dynamic"))
    assert (tmp_path / "dynamic.onnx").stat().st_size > 0
    with pytest.raises(ValueError, match="calibration"):
        quantize_onnx(path, tmp_path / "static.onnx", [], QuantizeConfig())


@pytest.mark.parametrize(
    "settings",
    [
        {"method": "qat"},
        {"calibration": "kl"},
        {"keep_float": ("neck",)},
        {"photos": 0},
        {"float_convolutions": -1},
    ],
)
def test_bad_settings_name_the_choices(settings):
    with pytest.raises(ValueError):
        QuantizeConfig(**settings)


def test_an_int8_build_keeps_its_own_cache_and_model(tmp_path, tiny_encoder_dir):
    write_shapes(tmp_path / "photos")
    config = CatalogConfig(batch_size=8, map=MapConfig(method="pca"), runtime="onnx-int8")
    summary = build_catalog(
        tmp_path / "photos", tmp_path / "cat", encoders=[str(tiny_encoder_dir)], config=config
    )
    assert summary.embedded == {"tiny-random": 16}
    (folder,) = (tmp_path / "cat" / "cache").glob("tiny-random-*")  # beside the attributes
    assert re.search(r"-int8-[0-9a-f]{8}$", folder.name) and (folder / "model-int8.onnx").is_file()
    float_build = build_catalog(
        tmp_path / "photos",
        tmp_path / "float",
        encoders=[str(tiny_encoder_dir)],
        config=CatalogConfig(batch_size=8, map=MapConfig(method="pca"), runtime="onnx"),
    )
    assert float_build.embedded == {"tiny-random": 16}
    a = np.asarray(open_catalog(tmp_path / "cat").embeddings("tiny-random"))
    b = np.asarray(open_catalog(tmp_path / "float").embeddings("tiny-random"))
    assert _cosines(a, b).mean() > 0.95
    again = build_catalog(
        tmp_path / "photos", tmp_path / "cat", encoders=[str(tiny_encoder_dir)], config=config
    )
    assert again.reused == {"tiny-random": 16}
    assert open_catalog(tmp_path / "cat").manifest["config"]["runtime"] == "onnx-int8"
    assert (
        open_catalog(tmp_path / "cat").manifest["encoders"]["tiny-random"]["cache"] == folder.name
    )


def test_a_model_below_the_floor_is_refused_and_stays_refused(encoder, photos, tmp_path):
    config = QuantizeConfig(photos=8)
    with pytest.raises(Int8AgreementError, match=r"mean cosine [01]\.\d{4} .*of 8 catalog photos"):
        create_int8_encoder(encoder, photos[:16], tmp_path, config, min_agreement=1.0)
    record = json.loads((tmp_path / "quantize.json").read_text())
    assert record["agreement"]["photos"] == 8  # the 8 photos after the 8 calibration ones
    assert 0.5 < record["agreement"]["cosine_mean"] < 1.0
    stamp = (tmp_path / "model-int8.onnx").stat().st_mtime_ns
    with pytest.raises(Int8AgreementError):  # the stored agreement, no new calibration
        create_int8_encoder(encoder, [], tmp_path, config, min_agreement=1.0)
    assert (tmp_path / "model-int8.onnx").stat().st_mtime_ns == stamp
    lenient = create_int8_encoder(encoder, [], tmp_path, config, min_agreement=0.5)
    assert lenient.path == tmp_path / "model-int8.onnx"  # the same model, under another floor
    assert (tmp_path / "model-int8.onnx").stat().st_mtime_ns == stamp


def _ops(model) -> list[str]:
    import onnx

    return [node.op_type for node in onnx.load(str(model.path)).graph.node]


def _float_convolutions(model) -> int:
    return _ops(model).count("Conv")


def test_a_model_below_the_floor_keeps_its_first_convolutions_in_float_until_it_agrees(
    encoder, photos, tmp_path, monkeypatch
):
    import skill.encoders.quantize as quantize

    def agreement(float_model, int8_model, held):  # as if the early layers were what strays
        cosine = 0.99 if _float_convolutions(int8_model) >= 3 else 0.9
        return {"photos": 8, "cosine_mean": cosine, "cosine_min": cosine}

    ort_quantize = importlib.import_module("onnxruntime.quantization.quantize")  # the module

    calibrations = []
    real = ort_quantize.create_calibrator
    monkeypatch.setattr(ort_quantize, "create_calibrator", lambda *a, **k: (
        calibrations.append(1), real(*a, **k))[1])  # fmt: skip
    monkeypatch.setattr(quantize, "agreement", agreement)
    config = QuantizeConfig(photos=8, stem_guard=False)
    int8 = create_int8_encoder(encoder, photos[:16], tmp_path / "a", config, min_agreement=0.95)
    if "calibration_cache_path" in inspect.signature(ort_quantize.quantize_static).parameters:
        assert len(calibrations) == 1  # two tries, one calibration
    assert _float_convolutions(int8) == 3  # the first step of the fallback, and no further
    record = json.loads((tmp_path / "a" / "quantize.json").read_text())
    assert [t["float_convolutions"] for t in record["tried"]] == [0, 3]
    assert record["float_convolutions"] == 3 and record["agreement"]["cosine_mean"] == 0.99
    assert "QLinearConv" in _ops(int8)  # the rest is int8
    from skill.encoders.embedding import prepare

    batch = [np.stack([prepare(p, encoder).numpy() for p in photos[:8]])]
    at_3 = dataclasses.replace(config, float_convolutions=3)
    fresh = quantize_onnx(create_onnx_encoder(encoder).path, tmp_path / "x.onnx", batch, at_3)
    assert fresh.read_bytes() == int8.path.read_bytes()  # the kept ranges are the calibration's

    plain = create_int8_encoder(encoder, photos[:16], tmp_path / "b", config, min_agreement=None)
    assert _float_convolutions(plain) == 0  # no floor (the attribute network): no fallback
    stricter = create_int8_encoder(encoder, photos[:16], tmp_path / "b", config)
    assert _float_convolutions(stricter) == 3  # made under no floor: tried again under one
    off = dataclasses.replace(config, fallback=False)
    with pytest.raises(Int8AgreementError, match=r"0\.9000 .* below 0\.95"):
        create_int8_encoder(encoder, photos[:16], tmp_path / "c", off, min_agreement=0.95)


def test_configured_float_convolutions_are_the_first_try_and_the_fallback_goes_on_from_them(
    encoder, photos, tmp_path, monkeypatch
):
    import skill.encoders.quantize as quantize

    cosine = {"value": 0.99}
    monkeypatch.setattr(quantize, "agreement", lambda *args: {
        "photos": 8, "cosine_mean": cosine["value"], "cosine_min": cosine["value"]})  # fmt: skip
    config = QuantizeConfig(photos=8, stem_guard=False, float_convolutions=3)
    int8 = create_int8_encoder(encoder, photos[:16], tmp_path / "a", config)
    assert _float_convolutions(int8) == 3 and "QLinearConv" in _ops(int8)
    record = json.loads((tmp_path / "a" / "quantize.json").read_text())
    assert [t["float_convolutions"] for t in record["tried"]] == [3]
    cosine["value"] = 0.9  # strays at every try: the fallback's larger steps only, then refused
    with pytest.raises(Int8AgreementError, match="first 9 convolutions in float"):
        create_int8_encoder(encoder, photos[:16], tmp_path / "b", config)
    record = json.loads((tmp_path / "b" / "quantize.json").read_text())
    assert [t["float_convolutions"] for t in record["tried"]] == [3, 9]


def test_a_model_above_the_floor_but_short_of_the_fallback_target_tries_more_float_layers(
    encoder, photos, tmp_path, monkeypatch
):
    import skill.encoders.quantize as quantize

    cosines = {0: 0.96, 3: 0.976, 9: 0.985}  # as the shipped skill-design on an AVX2 CPU
    monkeypatch.setattr(quantize, "agreement", lambda float_model, int8_model, held: {
        "photos": 8, "cosine_mean": cosines[min(_float_convolutions(int8_model), 9)],
        "cosine_min": 0.9})  # fmt: skip
    config = QuantizeConfig(photos=8, stem_guard=False)
    int8 = create_int8_encoder(encoder, photos[:16], tmp_path / "a", config)
    record = json.loads((tmp_path / "a" / "quantize.json").read_text())
    assert [t["float_convolutions"] for t in record["tried"]] == [0, 3, 9]
    assert _float_convolutions(int8) == 9 and record["fallback_threshold"] == 0.98
    cosines[9] = 0.97  # short of the target at every try, above the floor: the last is taken
    lenient = create_int8_encoder(encoder, photos[:16], tmp_path / "b", config)
    assert _float_convolutions(lenient) == 9
    assert json.loads((tmp_path / "b" / "quantize.json").read_text())["agreement"][
        "cosine_mean"] == 0.97  # fmt: skip
    at_target = dataclasses.replace(config, fallback_agreement=0.95)
    first = create_int8_encoder(encoder, photos[:16], tmp_path / "c", at_target)
    assert _float_convolutions(first) == 0  # 0.96 reaches a target of 0.95
    with pytest.raises(ValueError, match="fallback_agreement"):
        QuantizeConfig(fallback_agreement=1.5)


def test_a_network_of_probabilities_is_not_held_to_the_floor(
    encoder, photos, tmp_path, monkeypatch
):
    import skill.encoders.quantize as quantize
    from skill.attributes.model import AttributeNetwork, SharedTrunkModel

    assert not AttributeNetwork.embeds and not SharedTrunkModel.embeds and encoder.embeds
    strays = {"photos": 8, "cosine_mean": 0.5, "cosine_min": 0.5}
    monkeypatch.setattr(quantize, "agreement", lambda *args: strays)
    monkeypatch.setattr(encoder, "embeds", False, raising=False)
    config = QuantizeConfig(photos=8, stem_guard=False)  # the same first try on any CPU
    create_int8_encoder(encoder, photos[:16], tmp_path, config)  # under the default floor
    record = json.loads((tmp_path / "quantize.json").read_text())
    assert record["floor"] is None and [t["float_convolutions"] for t in record["tried"]] == [0]


def test_the_stem_and_first_block_stay_float_where_int8_sums_saturate(monkeypatch):
    import skill.encoders.cpu as cpu

    monkeypatch.setattr(cpu, "saturates_int8", lambda: True)
    assert for_this_cpu(QuantizeConfig()).float_convolutions == GUARDED_CONVOLUTIONS == 3
    assert for_this_cpu(QuantizeConfig(keep_float=("head",))).keep_float == ("head",)
    assert for_this_cpu(QuantizeConfig(float_convolutions=9)).float_convolutions == 9  # more
    assert for_this_cpu(QuantizeConfig(stem_guard=False)).float_convolutions == 0
    assert for_this_cpu(QuantizeConfig(method="dynamic")).float_convolutions == 0
    monkeypatch.setattr(cpu, "saturates_int8", lambda: False)
    assert for_this_cpu(QuantizeConfig()) == QuantizeConfig()


def test_a_polarity_encoders_inverted_copy_is_made_in_float(photos, tmp_path):
    import onnx

    torch.manual_seed(0)
    encoder = encoder_from_config({**TINY_CONFIG, "polarity_views": True}).eval()
    path = export_onnx(encoder, tmp_path / "f.onnx")
    config = QuantizeConfig(photos=8, stem_guard=False)
    quantize_onnx(path, tmp_path / "int8.onnx", [np.stack(_batches(encoder, photos[:8]))], config)
    nodes = onnx.load(str(tmp_path / "int8.onnx")).graph.node
    readers = [node.op_type for node in nodes if "images" in node.input]
    assert readers and "QuantizeLinear" not in readers  # the pixels reach the inversion as float
    assert "QLinearConv" in {node.op_type for node in nodes}  # the network is int8


def test_an_int8_build_that_strays_stops_and_leaves_the_catalog(
    tmp_path, tiny_encoder_dir, monkeypatch
):
    import skill.encoders.quantize as quantize

    write_shapes(tmp_path / "photos")
    encoders = [str(tiny_encoder_dir)]
    build_catalog(tmp_path / "photos", tmp_path / "cat", encoders=encoders,
                  config=CatalogConfig(batch_size=8, map=MapConfig(method="pca")))  # fmt: skip
    before = open_catalog(tmp_path / "cat").manifest
    strays = {"photos": 16, "cosine_mean": 0.5, "cosine_min": 0.1}
    monkeypatch.setattr(quantize, "agreement", lambda *args: strays)
    config = CatalogConfig(batch_size=8, map=MapConfig(method="pca"), runtime="onnx-int8")
    with pytest.raises(Int8AgreementError, match=r"mean cosine 0\.5000 .*runtime onnx"):
        build_catalog(tmp_path / "photos", tmp_path / "cat", encoders=encoders, config=config,
                      replace=True)  # fmt: skip
    assert open_catalog(tmp_path / "cat").manifest == before  # the float version is still live


def test_int8_vectors_are_cached_apart_per_quantisation_settings(encoder, monkeypatch):
    import skill.encoders.cpu as cpu

    monkeypatch.setattr(cpu, "saturates_int8", lambda: False)
    plain = int8_cache_name(encoder)
    monkeypatch.setattr(cpu, "saturates_int8", lambda: True)
    guarded = int8_cache_name(encoder)  # the first convolution in float: another model
    assert plain != guarded
    assert all(re.fullmatch(rf"{encoder.digest}-int8-[0-9a-f]{{8}}", n) for n in (plain, guarded))
    assert int8_cache_name(encoder) == guarded  # stable


def test_a_live_version_lends_its_vectors_only_from_the_same_cache():
    from types import SimpleNamespace

    from skill.catalog.build import _same_vectors

    def version(runtime, cache=None):
        entry = {} if cache is None else {"cache": cache}
        return SimpleNamespace(manifest={"config": {"runtime": runtime}, "encoders": {"e": entry}})

    int8 = CatalogConfig(runtime="onnx-int8")
    assert _same_vectors(version("onnx-int8", "e-d-int8-aaaa"), "e", Path("x/e-d-int8-aaaa"), int8)
    assert not _same_vectors(
        version("onnx-int8", "e-d-int8-aaaa"), "e", Path("e-d-int8-bbbb"), int8
    )
    assert not _same_vectors(version("onnx-int8"), "e", Path("e-d-int8-aaaa"), int8)  # unrecorded
    assert _same_vectors(version("onnx"), "e", Path("e-d"), CatalogConfig(runtime="onnx"))
    assert not _same_vectors(version("onnx"), "e", Path("e-d-int8-aaaa"), int8)
