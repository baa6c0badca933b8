"""Int8 encoders: an ONNX export quantised by ONNX Runtime, calibrated on catalog photos.

EfficientNet-Lite was designed for int8 (ReLU6, no squeeze-excite). Static quantisation
stores weights as int8 (one scale per output channel) and runs every convolution as an int8
``QLinearConv``, with activation ranges measured on a few hundred calibration photos: the
catalog's own photos at build time, never the photos an evaluation scores
(``benchmarks/bench_quantize.py`` calibrates on training designs and scores validation ones).
Dynamic quantisation (weights only, activation ranges per batch) needs no photos but runs
convolutions slower than float here. Speed and hit@1 against float: ``docs/scale.md``.

The quantised model changes the embeddings (cosine to the float ones about 0.98 on average),
so a catalog embedded in int8 keeps its own embedding cache (:func:`int8_cache_name`) and its
model file next to it, and a rebuild reuses that model rather than calibrating anew.

Example:
    >>> fast = create_int8_encoder(encoder, photos[:256], cache_dir="catalog/cache/x-int8")
    >>> fast(batch).shape                                 # like OnnxEncoder
    torch.Size([32, 1280])
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from skill.encoders.encoder import Encoder

QUANT_METHODS = ("static", "dynamic")
CALIBRATIONS = ("minmax", "minmax-average", "percentile", "entropy")
KEEP_FLOAT = ("stem", "head")


@dataclass(frozen=True)
class QuantizeConfig:
    """How an encoder is quantised.

    Attributes:
        method: ``static`` (int8 activations, calibrated on photos; the fast one) or
            ``dynamic`` (int8 weights only, no photos needed).
        per_channel: One weight scale per output channel instead of per tensor; depthwise
            convolutions need it.
        calibration: How activation ranges are read from the calibration photos: ``minmax``
            (the extremes over all photos), ``minmax-average`` (the mean of each batch's
            extremes: fewer outliers), ``percentile`` (99.999th) or ``entropy``; the last two
            keep every activation of every photo in memory (64 photos: several GB).
        photos: Calibration photos. Typical 64-512; more costs calibration time only.
        keep_float: Layers left in float: ``stem`` (the first convolution, which sees raw
            pixels) and/or ``head`` (the last convolution, pooling and what follows).
    """

    method: str = "static"
    per_channel: bool = True
    calibration: str = "minmax-average"
    photos: int = 256
    keep_float: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.method not in QUANT_METHODS:
            raise ValueError(f"method must be one of {QUANT_METHODS}, got {self.method!r}")
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"calibration must be one of {CALIBRATIONS}, got {self.calibration!r}")
        unknown = set(self.keep_float) - set(KEEP_FLOAT)
        if unknown:
            raise ValueError(f"keep_float may hold {KEEP_FLOAT}, got {sorted(unknown)}")
        if self.photos < 1:
            raise ValueError(f"photos must be >= 1, got {self.photos}")


def quantize_onnx(
    float_path: str | os.PathLike,
    out_path: str | os.PathLike,
    batches: Iterable[np.ndarray] = (),
    config: QuantizeConfig = QuantizeConfig(),
) -> Path:
    """Writes an int8 copy of a float ONNX encoder.

    Args:
        float_path: A graph written by :func:`skill.encoders.onnx.export_onnx`.
        out_path: Where the int8 graph goes (written to a temporary name, then renamed).
        batches: Calibration input, each of shape (batch, 3, size, size), preprocessed like
            the encoder's input; unused by ``dynamic``.
        config: Quantisation settings.

    Returns:
        The path written.
    """
    import onnxruntime as ort
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # Constant folding first: the quantiser needs a graph of plain Conv / Clip / Pad.
        folded = Path(tmp) / "folded.onnx"
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        ort.InferenceSession(str(float_path), options, providers=["CPUExecutionProvider"])
        staging = out_path.with_name(f"{out_path.stem}.{os.getpid()}.tmp.onnx")
        if config.method == "dynamic":
            quantize_dynamic(
                str(folded), str(staging), per_channel=config.per_channel,
                weight_type=QuantType.QInt8,
            )  # fmt: skip
        else:
            data = [np.ascontiguousarray(b, dtype=np.float32) for b in batches]
            if not data:
                raise ValueError("static quantisation needs calibration batches")

            class Reader(CalibrationDataReader):
                def __init__(self) -> None:
                    self.batches = iter(data)

                def get_next(self):
                    batch = next(self.batches, None)
                    return None if batch is None else {"images": batch}

            method = {
                "minmax": CalibrationMethod.MinMax,
                "minmax-average": CalibrationMethod.MinMax,
                "percentile": CalibrationMethod.Percentile,
                "entropy": CalibrationMethod.Entropy,
            }[config.calibration]
            quantize_static(
                str(folded),
                str(staging),
                Reader(),
                quant_format=QuantFormat.QOperator,  # fused QLinearConv kernels (VNNI)
                per_channel=config.per_channel,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                calibrate_method=method,
                nodes_to_exclude=_float_nodes(folded, config.keep_float),
                extra_options={"CalibMovingAverage": config.calibration == "minmax-average"},
            )
        staging.replace(out_path)
    return out_path


def _float_nodes(path: Path, keep_float: Sequence[str]) -> list[str]:
    """Names of the nodes ``keep_float`` leaves in float."""
    import onnx

    nodes = onnx.load(str(path)).graph.node
    convs = [i for i, node in enumerate(nodes) if node.op_type == "Conv"]
    names: list[str] = []
    if "stem" in keep_float and convs:
        names.append(nodes[convs[0]].name)
    if "head" in keep_float and convs:
        names += [node.name for node in nodes[convs[-1] :]]
    return names


def calibration_batches(
    encoder: Encoder, sources: Sequence, batch_size: int = 16
) -> list[np.ndarray]:
    """Decodes and preprocesses calibration photos; unreadable ones are left out.

    Returns:
        Batches of shape (batch, 3, size, size), float32.
    """
    from skill.encoders.embedding import prepare
    from skill.images.decode import ImageLoadError

    tensors = []
    for source in sources:
        try:
            tensors.append(prepare(source, encoder).numpy())
        except ImageLoadError:
            continue
    return [np.stack(tensors[i : i + batch_size]) for i in range(0, len(tensors), batch_size)]


def int8_cache_name(encoder: Encoder) -> str:
    """The embedding-cache suffix of an int8 catalog: its vectors are not the float ones."""
    return f"{encoder.digest}-int8"


def create_int8_encoder(
    encoder: Encoder,
    calibration: Sequence = (),
    cache_dir: str | os.PathLike | None = None,
    config: QuantizeConfig = QuantizeConfig(),
    num_threads: int = 0,
    spinning: bool = True,
):
    """Quantises ``encoder`` once and opens it with ONNX Runtime.

    The int8 model is kept in ``cache_dir`` as ``model-int8.onnx`` beside a ``quantize.json``
    naming its encoder digest and settings; while both match, it is reused, whatever the
    calibration photos, so that every embedding in a cache comes from one model.

    Args:
        encoder: The float encoder.
        calibration: Photos (paths, bytes or PIL images) to calibrate on; the first
            ``config.photos`` are used. Give a seeded sample of the catalog, not evaluation
            photos. Unused when a matching model is in ``cache_dir``.
        cache_dir: Where the model is kept; default a folder per encoder digest in the system
            temporary directory.
        config: Quantisation settings.
        num_threads: ONNX Runtime intra-op threads; 0 uses ``torch.get_num_threads()``.
        spinning: See :func:`skill.encoders.onnx.onnx_session`.

    Returns:
        An :class:`~skill.encoders.onnx.OnnxEncoder` running the int8 graph.
    """
    from skill.encoders.onnx import EXPORT_VERSION, OnnxEncoder, create_onnx_encoder

    if cache_dir:
        folder = Path(cache_dir)
    elif encoder.digest:
        folder = Path(tempfile.gettempdir()) / "skill-onnx-int8" / _stem(encoder)
    else:  # nothing identifies these weights: quantise afresh
        folder = Path(tempfile.mkdtemp(prefix="skill-int8-"))
    model, record = folder / "model-int8.onnx", folder / "quantize.json"
    wanted = json.loads(
        json.dumps(
            {
                "digest": encoder.digest,
                "embedding_dim": encoder.embedding_dim,
                "preprocess": encoder.preprocess.to_dict(),  # same weights at another size
                "export_version": EXPORT_VERSION,
                "config": asdict(config),
            }
        )
    )  # as read back from JSON (tuples become lists)
    if not (model.is_file() and record.is_file() and _same(record, wanted)):
        float_model = create_onnx_encoder(encoder, num_threads=num_threads)
        batches = []
        if config.method == "static":
            batches = calibration_batches(encoder, list(calibration)[: config.photos])
        quantize_onnx(float_model.path, model, batches, config)
        photos = sum(len(b) for b in batches)
        record.write_text(json.dumps({**wanted, "calibration_photos": photos}, indent=2) + "\n")
    return OnnxEncoder.from_encoder(model, encoder, num_threads, spinning)


def _same(record: Path, wanted: dict) -> bool:
    try:
        stored = json.loads(record.read_text())
    except (OSError, ValueError):
        return False
    return all(stored.get(key) == value for key, value in wanted.items())


def _stem(encoder: Encoder) -> str:
    return "".join(
        c if c.isalnum() or c in "-_." else "_" for c in f"{encoder.name}-{encoder.digest}"
    )
