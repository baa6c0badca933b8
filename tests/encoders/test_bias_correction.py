"""Tests of skill.encoders.bias_correction on a small network quantised by ONNX Runtime."""

import shutil

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from skill.encoders.bias_correction import correct_biases
from skill.encoders.quantize import QuantizeConfig, quantize_onnx
from tests.encoders.small_graphs import export_block, random_batches


def _outputs(path, batches):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.concatenate([session.run(None, {"images": b})[0] for b in batches])


def _biases(path):
    model = onnx.load(str(path))
    constants = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    return [constants[n.input[8]] for n in model.graph.node if n.op_type == "QLinearConv"]


@pytest.fixture(scope="module")
def uncorrected(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bias")
    float_path = export_block(folder / "float.onnx")
    config = QuantizeConfig(bias_correction=False, per_channel=False)  # coarse: a visible error
    quantize_onnx(float_path, folder / "int8.onnx", random_batches(8), config)
    return float_path, folder / "int8.onnx"


def test_the_mean_error_per_channel_is_taken_out_of_the_biases(uncorrected, tmp_path):
    float_path, int8_path = uncorrected
    batches = random_batches(8)
    corrected = shutil.copy(int8_path, tmp_path / "corrected.onnx")
    assert correct_biases(float_path, corrected, batches) == 4  # every convolution, in int8
    before, after = _biases(int8_path), _biases(corrected)
    assert all(b.dtype == np.int32 for b in after)
    assert any((a != b).any() for a, b in zip(after, before, strict=True))
    expected = _outputs(float_path, batches).mean(axis=0)
    error_before = np.abs(_outputs(int8_path, batches).mean(axis=0) - expected)
    error_after = np.abs(_outputs(corrected, batches).mean(axis=0) - expected)
    # The network's output is the last convolution's spatial mean: its mean error per channel
    # is gone but for the last bias's rounding.
    assert error_after.mean() < 0.5 * error_before.mean()
    held_out = random_batches(8, seed=1)
    float_out = _outputs(float_path, held_out)
    assert (
        np.abs(_outputs(corrected, held_out) - float_out).mean()
        < np.abs(_outputs(int8_path, held_out) - float_out).mean()
    )  # and on photos it did not measure


def test_quantising_corrects_by_default_and_needs_photos(uncorrected, tmp_path):
    float_path, int8_path = uncorrected
    config = QuantizeConfig(per_channel=False)
    default = quantize_onnx(float_path, tmp_path / "default.onnx", random_batches(8), config)
    assert any((a != b).any() for a, b in zip(_biases(default), _biases(int8_path), strict=True))
    with pytest.raises(ValueError, match="photos"):
        correct_biases(float_path, tmp_path / "default.onnx", [])
