"""Tests of skill.encoders.layer_times on a small inverted-residual network and its int8 copy."""

import pytest

from skill.encoders.layer_times import convolution_pairs, layer_times
from skill.encoders.quantize import QuantizeConfig, quantize_onnx
from tests.encoders.small_graphs import export_block, random_batches


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("graphs")
    batches = random_batches(4)
    config = QuantizeConfig(float_convolutions=1)  # the stem stays float
    quantize_onnx(export_block(folder / "float.onnx"), folder / "int8.onnx", batches, config)
    return folder / "float.onnx", folder / "int8.onnx", batches[0]


def test_every_convolution_is_timed_with_its_kind_and_number_format(graphs):
    float_path, int8_path, batch = graphs
    floats, int8s = layer_times(float_path, batch, runs=2), layer_times(int8_path, batch, runs=2)
    pairs = convolution_pairs(floats, int8s)
    assert [f.kind for f, _ in pairs] == ["full", "pointwise", "depthwise", "pointwise"]
    assert [q.int8 for _, q in pairs] == [False, True, True, True]  # the stem kept in float
    assert [f.kernel for f, _ in pairs] == [(3, 3), (1, 1), (3, 3), (1, 1)]
    assert [q.kernel for _, q in pairs] == [(3, 3), (1, 1), (3, 3), (1, 1)]
    assert not any(layer.int8 for layer in floats)
    assert "conversion" in {layer.kind for layer in int8s}  # float -> uint8 after the stem
    assert all(layer.ms >= 0 for layer in floats + int8s)
    assert sum(layer.ms for layer in int8s) > 0
    assert len({layer.name for layer in int8s}) == len(int8s)  # each node once, runs averaged


def test_graphs_with_other_convolutions_are_not_paired(graphs):
    float_path, _, batch = graphs
    floats = layer_times(float_path, batch, runs=1)
    with pytest.raises(ValueError, match="differ"):
        convolution_pairs(floats, [layer for layer in floats if layer.kind != "full"])
    with pytest.raises(ValueError, match="runs"):
        layer_times(float_path, batch, runs=0)
