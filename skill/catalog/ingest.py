"""One decode per photo for everything a build reads from its pixels.

A photo is decoded once (:func:`read_photo`), at the JPEG draft scale nearest at or above the
largest ``Preprocess.decode_size`` of the build's encoders (a 2000x3000 photo decodes at
500x750 for a 224-px encoder, about a sixteenth of the pixels), and those pixels give its
dominant colour and every encoder's input. Decoding runs in a thread pool one batch ahead of
the networks (:func:`read_and_embed`), which run on the calling thread: Pillow and ONNX Runtime
both release the GIL, so on 2 cores the decode of the next batch overlaps the model.

The local engine (:mod:`skill.catalog.build`) streams :func:`read_and_embed` over the photos
its caches lack; the Ray engine (:mod:`skill.catalog.ray_build`) calls :func:`process_batch`
inside each actor. Both give the same colours and embeddings.

Example:
    >>> for batch in read_and_embed(paths, {"lite0": model}, {"lite0": pre}, colour=True):
    ...     batch.colours, batch.vectors["lite0"][1].shape
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from skill.images.colors import dominant_color
from skill.images.decode import ImageLoadError, ImageSource, load_image
from skill.images.preprocess import Preprocess, to_array

COLOUR_DRAFT_SIZE = 128
"""Draft size of a build without encoders (colours only)."""
BUILD_RUNTIMES = ("auto", "torch", "channels_last", "onnx", "onnx-int8")
"""``embed_images``'s runtimes, and ``onnx-int8`` (:mod:`skill.encoders.quantize`)."""


def draft_size(preprocesses: Sequence[Preprocess]) -> int:
    """The shorter side every photo of a build is decoded to keep: enough for each encoder.

    The dominant colour is computed from these same pixels, so one build gives a photo the
    same colour whether or not its embeddings were cached.
    """
    return max((p.decode_size for p in preprocesses), default=COLOUR_DRAFT_SIZE)


def batch_model(
    encoder, runtime: str, calibration: Sequence = (), int8_dir=None, min_agreement=None
):
    """The callable that embeds batches for a build under ``runtime`` (:data:`BUILD_RUNTIMES`).

    ONNX sessions do not spin between operators: the decoding threads need the cores.

    Args:
        encoder: The encoder; put in eval mode.
        runtime: ``onnx-int8`` quantises it (:func:`skill.encoders.quantize.create_int8_encoder`)
            calibrated on ``calibration``, keeping the model in ``int8_dir``; the others are
            :func:`skill.encoders.embedding.embed_images`'s.
        calibration: Photos to calibrate an int8 model on (a sample of the catalog).
        int8_dir: Where the int8 model is kept (the catalog's int8 cache folder).
        min_agreement: Refuse an int8 model whose embeddings agree less with float
            (:func:`~skill.encoders.quantize.create_int8_encoder`; a network of
            probabilities is not held to it).
    """
    import torch

    if runtime not in BUILD_RUNTIMES:
        raise ValueError(f"runtime must be one of {BUILD_RUNTIMES}, got {runtime!r}")
    encoder.eval()
    if runtime == "onnx-int8":
        from skill.encoders.quantize import create_int8_encoder

        return create_int8_encoder(
            encoder, calibration, int8_dir, spinning=False, min_agreement=min_agreement
        )
    from skill.encoders.embedding import resolve_runtime

    model, resolved = resolve_runtime(encoder, runtime, spinning=False)
    if resolved == "channels_last":
        encoder.to(memory_format=torch.channels_last)
        return lambda batch: encoder(batch.contiguous(memory_format=torch.channels_last))
    return model


@dataclass
class Photo:
    """What one decode gives: the dominant colour (if asked) and each encoder's input."""

    colour: tuple[str, str] | None
    inputs: dict[str, np.ndarray]


def read_photo(
    source: ImageSource,
    size: int,
    colour: bool,
    preprocesses: Mapping[str, Preprocess],
) -> Photo:
    """Decodes a photo once and derives what was asked from its pixels.

    Args:
        source: Path, bytes or file object.
        size: JPEG draft size (:func:`draft_size`).
        colour: Compute the dominant colour.
        preprocesses: Encoder name -> its preprocessing, for the encoders that need it.

    Returns:
        A :class:`Photo`; inputs have shape (3, input_size, input_size), float32.

    Raises:
        ImageLoadError: The photo cannot be used.
    """
    image = load_image(source, draft_size=size)
    swatch = dominant_color(image) if colour else None
    arrays: dict[Preprocess, np.ndarray] = {}  # networks that see a photo alike share its input
    for pre in preprocesses.values():
        if pre not in arrays:
            arrays[pre] = to_array(image, pre)
    return Photo(
        colour=(swatch.hex, swatch.name) if swatch else None,
        inputs={name: arrays[pre] for name, pre in preprocesses.items()},
    )


@dataclass
class BatchResult:
    """The outcome of one batch of photos.

    Attributes:
        positions: The batch's positions in the caller's list, in order.
        colours: Position -> ``(hex, name)`` for photos whose colour was asked.
        vectors: Encoder name -> ``(positions, embeddings)``, embeddings of shape (m, dim).
        failures: Position -> reason, for photos that could not be decoded.
        seconds: Encoder name -> seconds its network took on this batch.
    """

    positions: list[int]
    colours: dict[int, tuple[str, str]] = field(default_factory=dict)
    vectors: dict[str, tuple[list[int], np.ndarray]] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def _decode_batch(sources, positions, size, colour, needs, preprocesses):
    decoded = []
    for i in positions:
        wanted = {name: preprocesses[name] for name, need in needs.items() if need[i]}
        try:
            decoded.append((i, read_photo(sources[i], size, bool(colour[i]), wanted)))
        except ImageLoadError as error:
            decoded.append((i, str(error)))
    return decoded


def _run_models(decoded, models, embedding_dims) -> BatchResult:
    import torch

    result = BatchResult(positions=[i for i, _ in decoded])
    photos = [(i, photo) for i, photo in decoded if isinstance(photo, Photo)]
    result.failures = {i: photo for i, photo in decoded if isinstance(photo, str)}
    result.colours = {i: photo.colour for i, photo in photos if photo.colour is not None}
    with torch.inference_mode():
        for name, model in models.items():
            rows = [(i, photo.inputs[name]) for i, photo in photos if name in photo.inputs]
            if not rows:
                result.vectors[name] = ([], np.zeros((0, embedding_dims[name]), np.float32))
                continue
            start = time.perf_counter()
            batch = torch.from_numpy(np.stack([x for _, x in rows]))
            out = model(batch)
            out = out.cpu().numpy() if hasattr(out, "cpu") else np.asarray(out)
            result.vectors[name] = ([i for i, _ in rows], out.astype(np.float32))
            result.seconds[name] = time.perf_counter() - start
    return result


def process_batch(
    sources: Sequence[ImageSource],
    models: Mapping,
    preprocesses: Mapping[str, Preprocess],
    embedding_dims: Mapping[str, int],
    colour: Sequence[bool] | None = None,
    needs: Mapping[str, Sequence[bool]] | None = None,
    size: int | None = None,
) -> BatchResult:
    """Decodes, colours and embeds one batch on the calling thread (a Ray actor's work).

    Args:
        sources: The photos.
        models: Encoder name -> a callable on a batch of shape (b, 3, size, size) returning
            embeddings (an :class:`~skill.encoders.encoder.Encoder` or ONNX encoder).
        preprocesses: Encoder name -> its preprocessing.
        embedding_dims: Encoder name -> embedding size.
        colour: Per photo, whether to compute its colour (default: all).
        needs: Encoder name -> per photo, whether to embed it (default: all).
        size: Draft size (default :func:`draft_size` of ``preprocesses``).

    Returns:
        A :class:`BatchResult` with positions ``0..len(sources)-1``.
    """
    n = len(sources)
    colour = [True] * n if colour is None else colour
    needs = needs or {name: [True] * n for name in models}
    size = size or draft_size(list(preprocesses.values()))
    decoded = _decode_batch(sources, range(n), size, colour, needs, preprocesses)
    return _run_models(decoded, models, embedding_dims)


def read_and_embed(
    sources: Sequence[ImageSource],
    models: Mapping,
    preprocesses: Mapping[str, Preprocess],
    embedding_dims: Mapping[str, int],
    colour: Sequence[bool],
    needs: Mapping[str, Sequence[bool]],
    positions: Sequence[int],
    batch_size: int = 32,
    num_threads: int = 2,
    size: int | None = None,
) -> Iterator[BatchResult]:
    """Streams :class:`BatchResult` over ``positions``, decoding ahead of the models.

    Args:
        sources: Every photo of the build (indexed by ``positions``).
        models, preprocesses, embedding_dims: As for :func:`process_batch`.
        colour: Per photo of ``sources``, whether its colour is wanted.
        needs: Encoder name -> per photo of ``sources``, whether it must be embedded.
        positions: The photos to read, in order.
        batch_size: Photos per model call. Typical 16-64 on a CPU.
        num_threads: Decoding threads; up to ``num_threads + 1`` batches are in flight.
            Typical 1-4; 2 on a 2-core machine.
        size: Draft size (default :func:`draft_size` of ``preprocesses``).

    Yields:
        One :class:`BatchResult` per batch, in order.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    size = size or draft_size(list(preprocesses.values()))
    positions = list(positions)
    chunks = [positions[i : i + batch_size] for i in range(0, len(positions), batch_size)]
    with ThreadPoolExecutor(max_workers=max(1, num_threads)) as pool:
        pending = [
            pool.submit(_decode_batch, sources, c, size, colour, needs, preprocesses)
            for c in chunks[: num_threads + 1]
        ]
        next_chunk = len(pending)
        while pending:
            decoded = pending.pop(0).result()
            if next_chunk < len(chunks):
                pending.append(
                    pool.submit(
                        _decode_batch,
                        sources,
                        chunks[next_chunk],
                        size,
                        colour,
                        needs,
                        preprocesses,
                    )  # fmt: skip
                )
                next_chunk += 1
            yield _run_models(decoded, models, embedding_dims)
