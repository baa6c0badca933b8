"""Where an ONNX encoder's time goes: each node's kernel time from ONNX Runtime's profiler,
labelled by kind of layer (stem-like, depthwise or pointwise convolution, number-format and
layout changes) and by number format.

Run on a float encoder and its int8 copy (:mod:`skill.encoders.quantize`), the convolutions
come in the same order in both graphs, so each layer's int8 speed-up can be read off
(``benchmarks/profile_int8.py``; figures in ``docs/scale.md``).

Example:
    >>> layers = layer_times("model-int8.onnx", batch)
    >>> sum(layer.ms for layer in layers if layer.kind == "depthwise")
    134.6
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CONVOLUTIONS = ("Conv", "QLinearConv", "ConvInteger")
CONVERSIONS = (
    "QuantizeLinear",
    "DequantizeLinear",
    "DynamicQuantizeLinear",
    "Transpose",
    "ReorderInput",
    "ReorderOutput",
)


@dataclass(frozen=True)
class LayerTime:
    """One node of an optimised graph and its kernel time per run.

    Attributes:
        name: The node's name in the graph ONNX Runtime runs (after its optimisations).
        op: Its operator (``Conv``, ``QLinearConv``, ``QuantizeLinear``, ...).
        kind: ``full`` (a convolution over every input channel with a kernel larger than
            1x1: the stem), ``depthwise``, ``pointwise`` (1x1), ``conversion`` (a change of
            number format or memory layout) or ``other``.
        int8: Whether it computes on 8-bit integers.
        kernel: A convolution's kernel size (height, width); empty for other nodes.
        ms: Milliseconds per run (the mean over the timed runs).
    """

    name: str
    op: str
    kind: str
    int8: bool
    kernel: tuple[int, ...]
    ms: float


def layer_times(
    path: str | os.PathLike, batch: np.ndarray, runs: int = 3, num_threads: int = 0
) -> list[LayerTime]:
    """Profiles ``runs`` runs of the graph at ``path`` on ``batch`` (after one untimed run).

    Args:
        path: An ONNX graph whose only input takes ``batch``.
        batch: Shape (batch, 3, size, size), float32.
        runs: Timed runs; each node's time is their mean.
        num_threads: ONNX Runtime intra-op threads; 0 as
            :func:`skill.encoders.onnx.session_options`.

    Returns:
        Every node that ran, in the order it first ran.
    """
    import onnxruntime as ort

    from skill.encoders.onnx import session_options

    if runs < 1:
        raise ValueError(f"runs must be >= 1, got {runs}")
    with tempfile.TemporaryDirectory() as tmp:
        options = session_options(num_threads, spinning=False)  # as a build runs it
        options.optimized_model_filepath = str(Path(tmp) / "optimized.onnx")
        options.log_severity_level = 3  # saving it warns that it holds this CPU's layouts
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(tmp) / "profile")
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        feed = {session.get_inputs()[0].name: np.ascontiguousarray(batch, dtype=np.float32)}
        for _ in range(1 + runs):  # the first run (allocations) is not counted
            session.run(None, feed)
        with open(session.end_profiling()) as handle:
            events = json.load(handle)
        shapes = _conv_shapes(Path(tmp) / "optimized.onnx")
    times, ops = defaultdict(list), {}
    for event in events:
        if event.get("cat") != "Node" or not event["name"].endswith("_kernel_time"):
            continue
        name = event["name"].removesuffix("_kernel_time")
        ops.setdefault(name, event["args"]["op_name"])
        times[name].append(event["dur"] / 1000)
    return [
        LayerTime(
            name,
            op,
            _kind(op, shapes.get(name)),
            _int8(op),
            tuple(int(k) for k in shapes[name][2]) if name in shapes else (),
            float(np.mean(times[name][-runs:])),
        )
        for name, op in ops.items()
    ]


def _conv_shapes(path: Path) -> dict[str, tuple[int, int, tuple[int, ...]]]:
    """Each convolution's (group, output channels, kernel size) in an optimised graph."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    weights = {init.name: tuple(init.dims) for init in graph.initializer}
    shapes = {}
    for node in graph.node:
        if node.op_type not in CONVOLUTIONS:
            continue
        attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        weight = weights.get(node.input[3 if node.op_type == "QLinearConv" else 1], ())
        kernel = tuple(attributes.get("kernel_shape", weight[2:]))
        shapes[node.name] = (int(attributes.get("group", 1)), weight[0] if weight else 0, kernel)
    return shapes


def _kind(op: str, shape: tuple | None) -> str:
    if op in CONVERSIONS:
        return "conversion"
    if op not in CONVOLUTIONS or shape is None:
        return "other"
    group, outputs, kernel = shape
    if group > 1 and group == outputs:
        return "depthwise"
    if group == 1 and all(k == 1 for k in kernel):
        return "pointwise"
    return "full"


def _int8(op: str) -> bool:
    return op.startswith("QLinear") or op in ("ConvInteger", "MatMulInteger")


def convolution_pairs(
    float_layers: list[LayerTime], int8_layers: list[LayerTime]
) -> list[tuple[LayerTime, LayerTime]]:
    """The convolutions of a float graph and of its int8 copy, paired in the order they ran.

    Raises:
        ValueError: The graphs run different numbers or kinds of convolutions.
    """
    floats = [layer for layer in float_layers if layer.op in CONVOLUTIONS]
    int8s = [layer for layer in int8_layers if layer.op in CONVOLUTIONS]
    if [layer.kind for layer in floats] != [layer.kind for layer in int8s]:
        raise ValueError(
            f"the graphs' convolutions differ: {len(floats)} and {len(int8s)}, or their kinds"
        )
    return list(zip(floats, int8s, strict=True))
