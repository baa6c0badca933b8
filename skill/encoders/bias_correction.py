"""Bias correction of an int8 graph: each convolution's mean error per channel, measured
against float on catalog photos and taken out of its bias, one convolution after another.

Rounding weights and activations to 8 bits shifts the mean of a convolution's outputs, channel
by channel, and every later layer carries the shift on (Nagel et al., "Data-Free Quantization
Through Weight Equalization and Bias Correction", ICCV 2019: the empirical form). Here each
int8 convolution's outputs are compared with the float network's same tensor, clipped to the
range the int8 output can hold, and the mean difference per output channel is subtracted from
its int32 bias. The convolutions are corrected in order, each measured with the ones before it
already corrected: corrected all at once from one measurement, every layer would also take out
error that the corrections before it remove.

Works on ONNX Runtime's ``QOperator`` graphs (:func:`skill.encoders.quantize.quantize_onnx`):
``QLinearConv`` nodes whose output ``X_quantized`` is the int8 copy of the float tensor ``X``.

Example:
    >>> correct_biases("folded.onnx", "model-int8.onnx", batches)   # batches: (n, 3, s, s)
    46
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

QUANTIZED_SUFFIX = "_quantized"  # ONNX Runtime's name for a float tensor's int8 copy


def correct_biases(
    float_path: str | os.PathLike,
    int8_path: str | os.PathLike,
    batches: Sequence[np.ndarray],
    num_threads: int = 0,
) -> int:
    """Corrects the biases of the int8 graph at ``int8_path`` in place.

    Args:
        float_path: The float graph the int8 one was quantised from (same tensor names).
        int8_path: The int8 graph (``QOperator`` format); rewritten.
        batches: Photos preprocessed as the encoder's input, each (batch, 3, size, size),
            float32; typically 64-128 catalog photos.
        num_threads: ONNX Runtime intra-op threads; 0 as
            :func:`skill.encoders.onnx.session_options`.

    Returns:
        How many convolutions were corrected (those with a bias and a float twin).
    """
    import onnx
    from onnx import numpy_helper

    from skill.encoders.onnx import onnx_session

    if not batches:
        raise ValueError("bias correction needs photos")
    model = onnx.load(str(int8_path))
    float_model = onnx.load(str(float_path))
    float_tensors = {name for node in float_model.graph.node for name in node.output}
    constants = {init.name: init for init in model.graph.initializer}
    convs = [
        node
        for node in model.graph.node
        if node.op_type == "QLinearConv"
        and len(node.input) > 8
        and node.input[8] in constants
        and _float_name(node) in float_tensors
    ]
    if not convs:
        return 0

    def value(name: str) -> np.ndarray:
        return numpy_helper.to_array(constants[name])

    # What each int8 output can hold: uint8 levels 0-255 on its scale and zero point.
    grids = [(float(value(node.input[6])), int(value(node.input[7]))) for node in convs]
    float_session = onnx_session(
        _with_outputs(
            float_model, [_float_name(n) for n in convs], onnx.TensorProto.FLOAT
        ).SerializeToString(),
        num_threads,
        spinning=False,
    )
    targets = _channel_means(float_session, [_float_name(n) for n in convs], batches, grids)
    for node, target, grid in zip(convs, targets, grids, strict=True):
        pruned = _with_outputs(model, [node.output[0]], onnx.TensorProto.UINT8, prune=True)
        session = onnx_session(pruned.SerializeToString(), num_threads, spinning=False)
        (found,) = _channel_means(session, [node.output[0]], batches, [grid])
        # The bias is in units of input scale x weight scale (one weight scale per channel).
        unit = float(value(node.input[1])) * value(node.input[4]).astype(np.float64).reshape(-1)
        bias = value(node.input[8]).astype(np.float64)
        # A channel whose weights are all zero has no bias unit: left as it is. One whose
        # weights are nearly zero may want a bias beyond int32: it stops at the limit.
        with np.errstate(divide="ignore", invalid="ignore"):
            shift = np.where(unit > 0, np.round((found - target) / unit), 0)
        info = np.iinfo(np.int32)
        corrected = np.clip(bias - shift, info.min, info.max).astype(np.int32)
        constants[node.input[8]].CopyFrom(numpy_helper.from_array(corrected, node.input[8]))
    staging = Path(int8_path).with_name(f"{Path(int8_path).stem}.{os.getpid()}.bias.onnx")
    onnx.save(model, str(staging))
    staging.replace(int8_path)
    return len(convs)


def _float_name(node) -> str:
    return node.output[0].removesuffix(QUANTIZED_SUFFIX)


def _with_outputs(model, names: list[str], elem_type: int, prune: bool = False):
    """A copy of ``model`` that returns the tensors ``names``; with ``prune``, those alone,
    and only the nodes they need (ONNX Runtime runs every node, whatever is fetched)."""
    import onnx
    from onnx import helper

    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    outputs = [helper.make_tensor_value_info(name, elem_type, None) for name in names]
    if not prune:
        have = {output.name for output in copy.graph.output}
        copy.graph.output.extend(o for o in outputs if o.name not in have)
        return copy
    needed, kept = set(names), []
    for node in reversed(copy.graph.node):
        if needed.intersection(node.output):
            kept.append(node)
            needed.update(node.input)
    del copy.graph.node[:]
    copy.graph.node.extend(reversed(kept))
    del copy.graph.output[:]
    copy.graph.output.extend(outputs)
    initializers = [init for init in copy.graph.initializer if init.name in needed]
    del copy.graph.initializer[:]
    copy.graph.initializer.extend(initializers)
    return copy


def _channel_means(session, names, batches, grids) -> list[np.ndarray]:
    """Each tensor's mean per channel (axis 1) over ``batches``, in real units: a uint8 tensor
    read on its (scale, zero point) grid, a float one clipped to the range that grid holds."""
    input_name = session.get_inputs()[0].name
    sums, count = [0.0] * len(names), 0
    for batch in batches:
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        outputs = session.run(names, {input_name: batch})
        for i, (output, (scale, zero)) in enumerate(zip(outputs, grids, strict=True)):
            if output.dtype == np.uint8:
                values = (output.astype(np.float32) - zero) * scale
            else:
                values = np.clip(output, -zero * scale, (255 - zero) * scale)
            sums[i] = sums[i] + values.mean(axis=(0, *range(2, values.ndim))) * len(batch)
        count += len(batch)
    return [total / count for total in sums]
