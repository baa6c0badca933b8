"""Int8 encoders: an ONNX export quantised by ONNX Runtime, calibrated on catalog photos.

EfficientNet-Lite was designed for int8 (ReLU6, no squeeze-excite). Static quantisation
stores weights as int8 (one scale per output channel) and runs every convolution as an int8
``QLinearConv``, with activation ranges measured on a few hundred calibration photos: the
catalog's own photos at build time, never the photos an evaluation scores
(``benchmarks/bench_quantize.py`` calibrates on training designs and scores validation ones).
Then each convolution's mean rounding error per channel is measured against float on the
first calibration photos and taken out of its bias, layer after layer
(:mod:`skill.encoders.bias_correction`; its effect on hit@1 in ``docs/scale.md``).
Dynamic quantisation (weights only, activation ranges per batch) needs no photos but runs
convolutions slower than float here. Speed and hit@1 against float: ``docs/scale.md``.

The quantised model changes the embeddings (cosine to the float ones about 0.98 on average
where the CPU sums int8 products in 32 bits), so a catalog embedded in int8 keeps its own
embedding cache (:func:`int8_cache_name`) and its model file next to it, and a rebuild reuses
that model rather than calibrating anew. Every new model is checked against float on
held-back catalog photos. One below :attr:`QuantizeConfig.fallback_agreement` (mean cosine
0.98) is quantised again with its first layers in float, and the first try that reaches it is
kept, else the last; one still below :data:`MIN_AGREEMENT` (0.95) is refused with a clear
message rather than filling a catalog with vectors its float queries no longer
find: how far int8 strays depends on the CPU (:mod:`skill.encoders.cpu`) and on the encoder.

Example:
    >>> fast = create_int8_encoder(encoder, photos[:256], cache_dir="catalog/cache/x-int8")
    >>> fast(batch).shape                                 # like OnnxEncoder
    torch.Size([32, 1280])
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from inspect import signature
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch loads only where a model is made: builds import this module
    from skill.encoders.encoder import Encoder

QUANT_METHODS = ("static", "dynamic")
CALIBRATIONS = ("minmax", "minmax-average", "percentile", "entropy")
KEEP_FLOAT = ("stem", "head")
QUANTIZE_VERSION = 2
"""Bumped when the same settings give another int8 graph (part of :func:`int8_settings_tag`):
2 keeps the network's own input steps (the nodes before its first convolution) in float."""
FLOAT_PREFIXES = (3, 9)
"""Leading convolutions an int8 model keeps in float, in turn, while it agrees with float below
the floor (EfficientNet-Lite: the stem and the first block, then the second stage too). The
first layers see the widest activations, and their rounding is carried through every layer
after them; they hold a small share of the work."""
GUARDED_CONVOLUTIONS = 3
"""Leading convolutions every int8 model keeps in float where int8 sums saturate
(:func:`for_this_cpu`): EfficientNet-Lite's stem and first block. The stem has to be float
there, and the int8 part then starts after the first block instead: the same one change of
number format, and the block's rounding no longer carried through the network (mean cosine to
float 0.972 -> 0.990, 0.959 -> 0.985 and 0.985 -> 0.993 for the three plain Lite0 encoders in
``benchmarks/bench_quantize.py``, ``docs/scale.md``)."""
MIN_AGREEMENT = 0.95
"""Default floor of an int8 encoder's mean cosine to float on held-back catalog photos. In
``benchmarks/bench_quantize.py``, models at 0.95 or more lost at most 1.1 points of float's
hit@1 with 8-bit weights (2.1 with 7-bit ones), models at 0.91 or less lost 4 to 21: a guard
against gross failure, not a measure of hit@1 (``docs/scale.md``)."""
AGREEMENT_PHOTOS = 64
CORRECTION_PHOTOS = 128
"""Calibration photos the bias correction measures each convolution's mean error on."""
MODEL_FILE, RECORD_FILE = "model-int8.onnx", "quantize.json"


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
        reduce_range: Weights in 7 bits (the remedy ONNX Runtime suggests for CPUs whose int8
            sums saturate; keeping the first convolution in float loses less here).
        bias_correction: After static quantisation, take each convolution's mean error per
            channel against float out of its bias, one convolution after another, measured on
            the first :data:`CORRECTION_PHOTOS` calibration photos
            (:mod:`skill.encoders.bias_correction`).
        stem_guard: Keep the stem and the first block (:data:`GUARDED_CONVOLUTIONS`) in float
            where this CPU's int8 sums saturate (:func:`for_this_cpu`).
        photos: Calibration photos. Typical 64-512; more costs calibration time only.
        float_convolutions: Leading convolutions (with everything between them) kept in
            float from the first try on; 0 quantises from the first convolution
            (:func:`for_this_cpu` raises it where int8 sums saturate).
        fallback: Where a model's agreement with float is below ``fallback_agreement`` (or
            the floor, if higher), quantise again with more leading convolutions in float
            (:data:`FLOAT_PREFIXES` above ``float_convolutions``, one step at a time); the
            last try is refused only below the floor (:func:`create_int8_encoder`).
        fallback_agreement: The agreement the fallback aims for. Every encoder measured at
            0.98 or more with bias correction was within 0.5 points of float's hit@1, one at
            0.976 lost 0.9 (``docs/scale.md``); the further tries cost speed, not accuracy.
        keep_float: Layers left in float: ``stem`` (the first convolution, which sees raw
            pixels) and/or ``head`` (the last convolution, pooling and what follows). The
            steps a network takes on its input before its first convolution (a polarity
            encoder's inverted copy, :mod:`skill.encoders.polarity`) are always float:
            elementwise work on pixels, cheap in float, that int8 would round before any
            convolution sees it.
    """

    method: str = "static"
    per_channel: bool = True
    reduce_range: bool = False
    bias_correction: bool = True
    stem_guard: bool = True
    calibration: str = "minmax-average"
    photos: int = 256
    float_convolutions: int = 0
    fallback: bool = True
    fallback_agreement: float = 0.98
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
        if self.float_convolutions < 0:
            raise ValueError(f"float_convolutions must be >= 0, got {self.float_convolutions}")
        if not 0 < self.fallback_agreement <= 1:
            raise ValueError(f"fallback_agreement must be in (0, 1], got {self.fallback_agreement}")


class Int8AgreementError(ValueError):
    """An int8 model whose embeddings stray too far from its float encoder's."""


def for_this_cpu(config: QuantizeConfig) -> QuantizeConfig:
    """``config`` with the first :data:`GUARDED_CONVOLUTIONS` in float where this CPU's int8
    sums saturate (:mod:`skill.encoders.cpu`): the first convolution sees raw pixels over the
    full 8-bit range."""
    from skill.encoders.cpu import saturates_int8

    guard = config.stem_guard and config.method == "static"
    if not guard or not saturates_int8() or config.float_convolutions >= GUARDED_CONVOLUTIONS:
        return config
    return dataclasses.replace(config, float_convolutions=GUARDED_CONVOLUTIONS)


def quantize_onnx(
    float_path: str | os.PathLike,
    out_path: str | os.PathLike,
    batches: Iterable[np.ndarray] = (),
    config: QuantizeConfig = QuantizeConfig(),
    ranges: str | os.PathLike | None = None,
) -> Path:
    """Writes an int8 copy of a float ONNX encoder.

    Args:
        float_path: A graph written by :func:`skill.encoders.onnx.export_onnx`.
        out_path: Where the int8 graph goes (written to a temporary name, then renamed).
        batches: Calibration input, each of shape (batch, 3, size, size), preprocessed like
            the encoder's input; unused by ``dynamic``.
        config: Quantisation settings, as they are (not :func:`for_this_cpu`'s).
        ranges: A file for the activation ranges the calibration measures: written by the
            first call, read by the next ones instead of calibrating again (the ranges cover
            every layer, whatever is left in float). Where this ONNX Runtime cannot keep
            them, every call calibrates.

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

    from skill.encoders.bias_correction import correct_biases

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
            kept = {}
            if (
                ranges is not None
                and "calibration_cache_path" in signature(quantize_static).parameters
            ):
                kept = {"calibration_cache_path": str(ranges)}
            quantize_static(
                str(folded),
                str(staging),
                Reader(),
                quant_format=QuantFormat.QOperator,  # fused QLinearConv kernels (VNNI)
                per_channel=config.per_channel,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                reduce_range=config.reduce_range,
                calibrate_method=method,
                nodes_to_exclude=_float_nodes(folded, config.keep_float, config.float_convolutions),
                extra_options={"CalibMovingAverage": config.calibration == "minmax-average"},
                **kept,
            )
            if config.bias_correction:
                correct_biases(folded, staging, _first_photos(data, CORRECTION_PHOTOS))
        staging.replace(out_path)
    return out_path


def _first_photos(batches: Sequence[np.ndarray], count: int) -> list[np.ndarray]:
    """The leading batches holding ``count`` photos (the last one cut)."""
    taken, left = [], count
    for batch in batches:
        if left <= 0:
            break
        taken.append(batch[:left])
        left -= len(taken[-1])
    return taken


def _float_nodes(path: Path, keep_float: Sequence[str], leading: int = 0) -> list[str]:
    """Names of the nodes left in float: the input steps before the first convolution, the
    ``leading`` convolutions and everything between them, and what ``keep_float`` names."""
    import onnx

    nodes = onnx.load(str(path)).graph.node
    convs = [i for i, node in enumerate(nodes) if node.op_type == "Conv"]
    end = (convs[leading] if leading < len(convs) else len(nodes)) if convs else 0
    names = [node.name for node in nodes[:end]]
    if "stem" in keep_float and convs:
        names.append(nodes[convs[0]].name)
    if "head" in keep_float and convs:
        names += [node.name for node in nodes[convs[-1] :]]
    return list(dict.fromkeys(names))


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


def int8_cache_name(encoder: Encoder, config: QuantizeConfig = QuantizeConfig()) -> str:
    """The embedding-cache suffix of an int8 catalog: its vectors are not the float ones, nor
    those of an int8 model quantised with other settings (:func:`int8_settings_tag`)."""
    return f"{encoder.digest}-int8-{int8_settings_tag(config)}"


def int8_settings_tag(config: QuantizeConfig = QuantizeConfig()) -> str:
    """Eight hex digits naming the settings an int8 model is quantised with on this CPU
    (:func:`for_this_cpu`: another kind of CPU, another model), the export's version and
    :data:`QUANTIZE_VERSION`."""
    from skill.encoders.onnx import EXPORT_VERSION

    settings = [asdict(for_this_cpu(config)), EXPORT_VERSION, QUANTIZE_VERSION]
    settings = json.dumps(settings, sort_keys=True)
    return hashlib.sha1(settings.encode()).hexdigest()[:8]


def create_int8_encoder(
    encoder: Encoder,
    calibration: Sequence = (),
    cache_dir: str | os.PathLike | None = None,
    config: QuantizeConfig = QuantizeConfig(),
    num_threads: int = 0,
    spinning: bool = True,
    min_agreement: float | None = MIN_AGREEMENT,
):
    """Quantises ``encoder`` once, checks it against float, and opens it with ONNX Runtime.

    The int8 model is kept in ``cache_dir`` as ``model-int8.onnx`` beside a ``quantize.json``
    naming its encoder digest, its settings (:func:`for_this_cpu` of ``config``) and its
    agreement with float; while they match, it is reused, whatever the calibration photos,
    so that every embedding in a cache comes from one model.

    The agreement is the mean cosine between the int8 and float embeddings of up to
    :data:`AGREEMENT_PHOTOS` photos after the calibration ones in ``calibration`` (the
    calibration photos themselves where there are no others). A model below
    ``config.fallback_agreement`` (or ``min_agreement``, if higher) is quantised again with
    its leading convolutions in float (:data:`FLOAT_PREFIXES`, while ``config.fallback``);
    the first that reaches it is kept, else the last try, which is refused below
    ``min_agreement``; ``quantize.json`` lists every try.

    Args:
        encoder: The float encoder.
        calibration: Photos (paths, bytes or PIL images) to calibrate on; the first
            ``config.photos`` are used, and the next ones check the model. Give a seeded
            sample of the catalog, not evaluation photos. Unused when a matching model is in
            ``cache_dir``.
        cache_dir: Where the model is kept; default a folder per encoder digest in the system
            temporary directory.
        config: Quantisation settings.
        num_threads: ONNX Runtime intra-op threads; 0 uses ``torch.get_num_threads()``.
        spinning: See :func:`skill.encoders.onnx.onnx_session`.
        min_agreement: Least agreement a model may have; ``None`` takes any. A network whose
            outputs are not embeddings (``embeds`` false: the attribute model's
            probabilities) is taken whatever its agreement.

    Returns:
        An :class:`~skill.encoders.onnx.OnnxEncoder` running the int8 graph.

    Raises:
        Int8AgreementError: The agreement is below ``min_agreement`` after every try.
    """
    from skill.encoders.onnx import EXPORT_VERSION, OnnxEncoder, create_onnx_encoder

    config = for_this_cpu(config)
    if not getattr(encoder, "embeds", True):  # probabilities: no cosine to hold them to
        min_agreement = None
    if cache_dir:
        folder = Path(cache_dir)
    elif encoder.digest:
        folder = Path(tempfile.gettempdir()) / "skill-onnx-int8" / _stem(encoder)
    else:  # nothing identifies these weights: quantise afresh
        folder = Path(tempfile.mkdtemp(prefix="skill-int8-"))
    model, record = folder / MODEL_FILE, folder / RECORD_FILE
    wanted = json.loads(
        json.dumps(
            {
                "digest": encoder.digest,
                "embedding_dim": encoder.embedding_dim,
                "preprocess": encoder.preprocess.to_dict(),  # same weights at another size
                "export_version": EXPORT_VERSION,
                "quantize_version": QUANTIZE_VERSION,
                "config": asdict(config),
            }
        )
    )  # as read back from JSON (tuples become lists)
    stored = model_record(folder)
    if not (
        model.is_file()
        and _same(stored, wanted)
        and "agreement" in stored
        and not _may_agree_better(stored, _fallback_threshold(config, min_agreement))
    ):
        float_model = create_onnx_encoder(encoder, num_threads=num_threads)
        photos = list(calibration)
        batches = []
        if config.method == "static":
            batches = calibration_batches(encoder, photos[: config.photos])
        held = calibration_batches(encoder, photos[config.photos :][:AGREEMENT_PHOTOS])
        if not held:  # no photos beyond the calibration ones: check on those
            held = batches or calibration_batches(encoder, photos[:AGREEMENT_PHOTOS])
        threshold = _fallback_threshold(config, min_agreement)
        tried = []
        with tempfile.TemporaryDirectory() as tmp:
            ranges = Path(tmp) / "ranges.json"  # one calibration for every try
            for leading in _tries(config, threshold is not None):
                attempt = dataclasses.replace(config, float_convolutions=leading)
                quantize_onnx(float_model.path, model, batches, attempt, ranges)
                int8_model = OnnxEncoder.from_encoder(model, encoder, num_threads, spinning)
                tried.append(
                    {"float_convolutions": leading, **agreement(float_model, int8_model, held)}
                )
                if not _below(tried[-1], threshold):
                    break
        stored = {
            **wanted,
            "calibration_photos": sum(len(b) for b in batches),
            "floor": min_agreement,
            "fallback_threshold": threshold,
            "float_convolutions": tried[-1]["float_convolutions"],
            "agreement": {key: tried[-1][key] for key in ("photos", "cosine_mean", "cosine_min")},
            "tried": tried,
        }
        record.write_text(json.dumps(stored, indent=2) + "\n")
    found = stored["agreement"]
    if _below(found, min_agreement):
        from skill.encoders.cpu import int8_instructions

        leading = stored.get("float_convolutions", 0)
        raise Int8AgreementError(
            f"int8 {encoder.name} strays from float on this CPU ({int8_instructions()}): "
            f"mean cosine {found['cosine_mean']:.4f} to the float embeddings of "
            f"{found['photos']} catalog photos"
            + (f" with its first {leading} convolutions in float" if leading else "")
            + f", below {min_agreement}; embed in float (runtime onnx) instead"
        )
    return OnnxEncoder.from_encoder(model, encoder, num_threads, spinning)


def _tries(config: QuantizeConfig, fallback: bool) -> list[int]:
    """The leading float convolutions of each try: the configured ones, then the larger
    :data:`FLOAT_PREFIXES` where the fallback is on."""
    first = config.float_convolutions
    return [first, *(p for p in FLOAT_PREFIXES if p > first)] if fallback else [first]


def agreement(float_model, int8_model, batches: Sequence[np.ndarray]) -> dict:
    """Mean and least cosine between two models' outputs on ``batches``, and the photo count."""
    import torch

    cosines = []
    with torch.inference_mode():
        for batch in batches:
            x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
            a, b = np.asarray(float_model(x), np.float64), np.asarray(int8_model(x), np.float64)
            norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
            cosines.append((a * b).sum(axis=1) / np.maximum(norms, 1e-12))
    values = np.concatenate(cosines) if cosines else np.zeros(0)
    return {
        "photos": len(values),
        "cosine_mean": float(values.mean()) if len(values) else None,
        "cosine_min": float(values.min()) if len(values) else None,
    }


def _below(found: dict, floor: float | None) -> bool:
    return floor is not None and bool(found["photos"]) and found["cosine_mean"] < floor


def _fallback_threshold(config: QuantizeConfig, floor: float | None) -> float | None:
    """The agreement below which a try is followed by the next (``None``: one try only)."""
    if not config.fallback or config.method != "static" or floor is None:
        return None
    return max(floor, config.fallback_agreement)


def _may_agree_better(stored: dict, threshold: float | None) -> bool:
    """A stored model below ``threshold`` whose fallback ran to a lower threshold (or did not
    run), so that its fallback steps (:attr:`QuantizeConfig.fallback`) may not all have been
    tried."""
    made_under = stored.get("fallback_threshold")
    return _below(stored["agreement"], threshold) and (made_under is None or made_under < threshold)


def model_record(folder: str | os.PathLike) -> dict:
    """The ``quantize.json`` of an int8 model folder (settings, agreement, every fallback try),
    or ``{}`` where there is none or it cannot be read."""
    try:
        stored = json.loads((Path(folder) / RECORD_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}


def _same(stored: dict, wanted: dict) -> bool:
    return all(stored.get(key) == value for key, value in wanted.items())


def _stem(encoder: Encoder) -> str:
    return "".join(
        c if c.isalnum() or c in "-_." else "_" for c in f"{encoder.name}-{encoder.digest}"
    )
