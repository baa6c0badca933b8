"""Batched embedding of images, with decoding overlapped with the model.

Decoding and resizing run in a small thread pool (Pillow releases the GIL while it decodes)
one batch ahead of the network, which runs under ``torch.inference_mode``, or in ONNX Runtime.
A file that cannot be used is reported, never fatal: the batch goes on without it.

Given an :class:`~skill.encoders.onnx.OnnxEncoder` opened from an earlier export
(:func:`~skill.encoders.onnx.open_exported`), nothing here imports torch: a command-line search
starts in about a second instead of loading torch and timm.

Example:
    >>> result = embed_images(encoder, paths, progress=lambda stage, done, total, unit: None)
    >>> result.embeddings.shape, len(result.failures)
    ((998, 1280), 2)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from skill.images.decode import ImageLoadError, ImageSource, load_image
from skill.images.preprocess import Preprocess, to_array
from skill.progress import Progress

if TYPE_CHECKING:  # torch loads only when a torch model embeds
    import torch

    from skill.encoders.encoder import Encoder
    from skill.encoders.onnx import OnnxEncoder

RUNTIMES = ("auto", "torch", "channels_last", "onnx")


@dataclass
class EmbedResult:
    """Embeddings of the usable images, and why the others were skipped.

    Attributes:
        embeddings: Shape (n_ok, dim), float32, unit norm, in input order.
        indices: Shape (n_ok,), position in the input of each embedded image.
        failures: ``(input position, reason)`` for each skipped image.
        runtime: The runtime that ran (``auto`` resolves to ``onnx`` or ``torch``).
    """

    embeddings: np.ndarray
    indices: np.ndarray
    failures: list[tuple[int, str]] = field(default_factory=list)
    runtime: str = "torch"


def prepare_array(source: ImageSource | Image.Image, preprocess: Preprocess) -> np.ndarray:
    """Decodes (if needed) and preprocesses one image. Shape (3, size, size), float32."""
    image = (
        source.convert("RGB")
        if isinstance(source, Image.Image)
        else load_image(source, draft_size=preprocess.decode_size)
    )
    return to_array(image, preprocess)


def prepare(source: ImageSource | Image.Image, encoder: Encoder) -> torch.Tensor:
    """Decodes (if needed) and preprocesses one image for ``encoder``, as a tensor."""
    import torch

    return torch.from_numpy(prepare_array(source, encoder.preprocess))


def embed_images(
    encoder: Encoder | OnnxEncoder,
    sources: Sequence[ImageSource | Image.Image],
    batch_size: int = 32,
    num_threads: int = 2,
    progress: Progress | None = None,
    runtime: str = "torch",
) -> EmbedResult:
    """Embeds images in batches.

    Args:
        encoder: The encoder; put in eval mode here. An ONNX export opened on its own
            (:func:`~skill.encoders.onnx.open_exported`) embeds with ONNX Runtime whatever
            ``runtime`` says, and without torch.
        sources: Paths, bytes, file objects or PIL images.
        batch_size: Images per forward pass. Typical 16-64 on CPU.
        num_threads: Decoding threads. Typical 1-4; 2 on a 2-core machine.
        progress: Reports stage ``embedding`` after each batch (:mod:`skill.progress`).
        runtime: ``torch`` (eager), ``channels_last`` (eager, NHWC memory layout; converts
            ``encoder``'s parameters in place) or ``onnx`` (ONNX Runtime, see
            :mod:`skill.encoders.onnx`; exported once per encoder digest, outputs equal to about
            1e-6). ``onnx`` is the fastest on CPU; see ``benchmarks/README.md``. ``auto``
            uses ``torch`` for an encoder whose weights are on an accelerator (a GPU teacher
            during training), else ``onnx`` where ``onnx`` and ``onnxruntime`` are installed
            and the encoder exports, else ``torch`` (with a warning saying why). ``torch``
            runs each batch on the device the encoder's weights are on.

    Returns:
        An :class:`EmbedResult`.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")
    encoder.eval()
    model, runtime = resolve_runtime(encoder, runtime)
    forward = _onnx_forward(model) if runtime == "onnx" else _torch_forward(model, runtime)
    preprocess = encoder.preprocess
    total = len(sources)
    chunks = [range(start, min(start + batch_size, total)) for start in range(0, total, batch_size)]
    outputs: list[np.ndarray] = []
    indices: list[int] = []
    failures: list[tuple[int, str]] = []

    def decode(chunk: range) -> list[tuple[int, np.ndarray | str]]:
        decoded = []
        for i in chunk:
            try:
                decoded.append((i, prepare_array(sources[i], preprocess)))
            except ImageLoadError as error:
                decoded.append((i, str(error)))
        return decoded

    done = 0
    with ThreadPoolExecutor(max_workers=max(1, num_threads)) as pool:
        # Each chunk is decoded by one thread; up to num_threads + 1 chunks are in flight.
        pending = [pool.submit(decode, chunk) for chunk in chunks[: num_threads + 1]]
        next_chunk = len(pending)
        while pending:
            items = pending.pop(0).result()
            if next_chunk < len(chunks):
                pending.append(pool.submit(decode, chunks[next_chunk]))
                next_chunk += 1
            arrays = [(i, item) for i, item in items if isinstance(item, np.ndarray)]
            failures.extend((i, item) for i, item in items if isinstance(item, str))
            if arrays:
                outputs.append(forward(np.stack([array for _, array in arrays])))
                indices.extend(i for i, _ in arrays)
            done += len(items)
            if progress is not None:
                progress("embedding", done, total)
    dim = encoder.embedding_dim
    embeddings = np.concatenate(outputs) if outputs else np.zeros((0, dim), np.float32)
    return EmbedResult(embeddings, np.asarray(indices, dtype=np.int64), failures, runtime)


def _onnx_forward(model):
    return lambda batch: model.embed(batch)


def _torch_forward(model, runtime: str):
    import torch

    from skill.encoders.encoder import weights_device

    if runtime == "channels_last":
        model.to(memory_format=torch.channels_last)
    device = weights_device(model)

    def forward(batch: np.ndarray) -> np.ndarray:
        tensor = torch.from_numpy(batch).to(device)
        if runtime == "channels_last":
            tensor = tensor.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            return model(tensor).cpu().numpy().astype(np.float32)

    return forward


def resolve_runtime(encoder: Encoder | OnnxEncoder, runtime: str, spinning: bool = True):
    """The callable that embeds batches under ``runtime``, and the runtime it really is
    (``spinning``: :func:`skill.encoders.onnx.onnx_session`'s, for a new ONNX session)."""
    from skill.encoders.onnx import OnnxEncoder

    if isinstance(encoder, OnnxEncoder):  # an ONNX export runs in ONNX Runtime only
        return encoder, "onnx"
    if runtime not in ("onnx", "auto"):
        return encoder, runtime
    from skill.encoders.encoder import weights_device

    if runtime == "auto" and weights_device(encoder).type != "cpu":
        return encoder, "torch"  # ONNX Runtime here runs on the CPU: keep the accelerator
    import importlib.util

    if runtime == "auto" and not all(
        importlib.util.find_spec(name) for name in ("onnx", "onnxruntime")
    ):
        return encoder, "torch"
    from skill.encoders.onnx import create_onnx_encoder

    try:
        return create_onnx_encoder(encoder, spinning=spinning), "onnx"
    except (RuntimeError, ImportError, OSError, ValueError) as error:
        if runtime == "onnx":
            raise
        warnings.warn(
            f"{encoder.name}: ONNX export failed ({error}); embedding with torch", stacklevel=3
        )
        return encoder, "torch"
