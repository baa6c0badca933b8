"""An encoder exported to ONNX and run by ONNX Runtime: the fast path for bulk embedding.

On a 2-core CPU, ONNX Runtime runs EfficientNet-Lite0 several times faster than eager PyTorch
(fused convolution + batch norm + activation, NCHWc kernels for the depthwise layers; see
``benchmarks/README.md``). The exported graph includes the projection head and the final L2
normalisation, so its outputs equal the PyTorch encoder's to about 1e-6 (tested to 1e-4).

Export needs the ``onnx`` package and inference ``onnxruntime``; neither is imported by
``import skill``. An :class:`OnnxEncoder` stands in for an :class:`~skill.encoders.encoder.Encoder`
wherever one is only called on batches (``embed_images(..., runtime="onnx")`` does this).

Each export is cached as ``<name>-<digest>.onnx`` beside a ``.json`` card holding what running
it needs (preprocessing, embedding size). :func:`open_exported` opens a cached export from the
name and digest alone (a catalog's manifest has both) without importing torch or timm, which
is most of a one-photo command-line search's start-up; only exporting needs torch.

Example:
    >>> fast = create_onnx_encoder(encoder)             # exports once per encoder digest
    >>> fast.embed(np.zeros((2, 3, 224, 224), np.float32)).shape
    (2, 1280)
    >>> again = open_exported("skill-design", encoder.digest)   # later, another process
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from skill.images.preprocess import Preprocess

if TYPE_CHECKING:  # torch loads only to export, or when called with a tensor
    import torch

    from skill.encoders.encoder import Encoder

ONNX_OPSET = 17
EXPORT_VERSION = 2
"""Part of each cached export's file name: 2 fixes SAME padding (:func:`freeze_same_padding`)."""
CARD_VERSION = 1
_CACHE: dict[tuple[str, str, int], OnnxEncoder] = {}
_LOCK = threading.Lock()


def export_onnx(encoder: Encoder, path: str | os.PathLike) -> Path:
    """Writes ``encoder`` (backbone, head and normalisation) as an ONNX graph.

    Args:
        encoder: The encoder; exported in eval mode, with a dynamic batch size.
        path: Where the ``.onnx`` file goes (written to a temporary name, then renamed).

    Returns:
        The path written.

    Raises:
        ModuleNotFoundError: The ``onnx`` package is not installed.
    """
    import copy
    import importlib.util

    import torch

    from skill.encoders.encoder import weights_device

    if importlib.util.find_spec("onnx") is None:
        raise ModuleNotFoundError("exporting to ONNX needs the 'onnx' package: pip install onnx")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = encoder.preprocess.input_size
    example = torch.zeros(1, 3, size, size)
    if weights_device(encoder).type != "cpu":  # a GPU teacher: export a copy of it on the CPU
        encoder = copy.deepcopy(encoder).cpu()
    staging = path.with_name(f"{path.stem}.{os.getpid()}.tmp.onnx")  # parallel exporters
    was_training = encoder.training
    encoder.eval()
    try:
        with torch.no_grad():
            torch.onnx.export(
                freeze_same_padding(encoder, size),
                (example,),
                str(staging),
                dynamo=False,  # the torch.export exporter needs onnxscript; this one does not
                input_names=["images"],
                output_names=["embeddings"],
                dynamic_axes={"images": {0: "batch"}, "embeddings": {0: "batch"}},
                opset_version=ONNX_OPSET,
            )
    finally:
        encoder.train(was_training)
    staging.replace(path)
    return path


def freeze_same_padding(model: torch.nn.Module, input_size: int) -> torch.nn.Module:
    """A copy of ``model`` whose TensorFlow-style SAME convolutions pad by fixed amounts.

    timm's ``tf_*`` models (EfficientNet-Lite's Google weights) compute their padding from the
    input's shape at run time, which exports as shape arithmetic around every strided
    convolution. At the one input size an encoder is fed, the padding is a constant: fixing it
    gives the same outputs (tested) and a graph of plain ``Pad`` + ``Conv`` that ONNX Runtime
    fuses and that int8 quantisation can calibrate (:mod:`skill.encoders.quantize`; with the
    shape arithmetic left in, quantised embeddings keep a mean cosine of only about 0.91 to
    the float ones). Models without such layers are returned as they are.

    Args:
        model: The module to export; left unchanged.
        input_size: Side of the square input it is exported for.
    """
    import copy

    import torch
    from timm.layers.conv2d_same import Conv2dSame
    from timm.layers.padding import pad_same_arg

    if not any(isinstance(m, Conv2dSame) for m in model.modules()):
        return model
    frozen = copy.deepcopy(model).eval()
    sizes: dict[str, tuple[int, int]] = {}

    def record(name: str):
        return lambda module, args: sizes.__setitem__(name, tuple(args[0].shape[-2:]))

    hooks = [
        module.register_forward_pre_hook(record(name))
        for name, module in frozen.named_modules()
        if isinstance(module, Conv2dSame)
    ]
    with torch.no_grad():
        frozen(torch.zeros(1, 3, input_size, input_size))
    for hook in hooks:
        hook.remove()
    for name, size in sizes.items():
        parent, _, child = name.rpartition(".")
        old = frozen.get_submodule(name)
        conv = torch.nn.Conv2d(
            old.in_channels, old.out_channels, old.kernel_size, old.stride, 0,
            old.dilation, old.groups, old.bias is not None,
        )  # fmt: skip
        conv.load_state_dict(old.state_dict())
        pad = pad_same_arg(list(size), list(old.weight.shape[-2:]), old.stride, old.dilation)
        fixed = torch.nn.Sequential(torch.nn.ZeroPad2d(tuple(pad)), conv)
        setattr(frozen.get_submodule(parent) if parent else frozen, child, fixed)
    return frozen


def onnx_session(model: str | os.PathLike | bytes, num_threads: int = 0, spinning: bool = True):
    """An ONNX Runtime CPU session on a graph file (or a serialised graph) with
    :func:`session_options`."""
    import onnxruntime as ort

    source = model if isinstance(model, bytes) else str(model)
    options = session_options(num_threads, spinning)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def session_options(num_threads: int = 0, spinning: bool = True):
    """ONNX Runtime session options with every graph optimisation; ``num_threads`` 0 uses
    ``torch.get_num_threads()`` where torch is loaded, else ONNX Runtime's default (one thread
    per physical core, as torch's).

    ``spinning`` lets idle worker threads spin between operators: a little quicker on one
    photo (a search), slower where other threads share the cores (a build decodes the next
    batch while the network runs; ``benchmarks/bench_ingest.py --variants
    build,build-spinning``, figures in ``docs/scale.md``)."""
    import onnxruntime as ort

    if not num_threads and "torch" in sys.modules:
        num_threads = sys.modules["torch"].get_num_threads()
    options = ort.SessionOptions()
    options.intra_op_num_threads = num_threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    return options


class OnnxEncoder:
    """An ONNX Runtime session that behaves like an :class:`Encoder` when called on a batch.

    Args:
        path: An ``.onnx`` file written by :func:`export_onnx`.
        preprocess: How photos are prepared for it.
        name: The encoder's name.
        embedding_dim: Size of its embeddings.
        digest: The weight digest it was exported from.
        num_threads: ONNX Runtime intra-op threads; 0 uses ``torch.get_num_threads()`` (or
            ONNX Runtime's default without torch). Typical: the number of physical cores.
        spinning: See :func:`onnx_session`: ``False`` for batch work beside other threads.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        preprocess: Preprocess,
        name: str,
        embedding_dim: int,
        digest: str,
        num_threads: int = 0,
        spinning: bool = True,
    ) -> None:
        self.session = onnx_session(path, num_threads, spinning)
        self.path = Path(path)
        self.preprocess = preprocess
        self.name = name
        self.embedding_dim = embedding_dim
        self.digest = digest

    @classmethod
    def from_encoder(
        cls, path: str | os.PathLike, encoder: Encoder, num_threads: int = 0, spinning: bool = True
    ) -> OnnxEncoder:
        """The export at ``path`` of ``encoder``."""
        return cls(
            path,
            encoder.preprocess,
            encoder.name,
            encoder.embedding_dim,
            encoder.digest,
            num_threads,
            spinning,
        )

    def eval(self) -> OnnxEncoder:
        """No-op, for symmetry with ``nn.Module.eval``."""
        return self

    def embed(self, images: np.ndarray) -> np.ndarray:
        """Embeds a batch.

        Args:
            images: Shape (batch, 3, input_size, input_size), normalised.

        Returns:
            Shape (batch, embedding_dim), float32, unit L2 norm.
        """
        array = np.ascontiguousarray(images, dtype=np.float32)
        (out,) = self.session.run(None, {"images": array})
        return out

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """:meth:`embed` on a tensor, returning a tensor."""
        import torch

        return torch.from_numpy(self.embed(images.detach().cpu().numpy()))


def export_path(name: str, digest: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """Where the export of encoder ``name`` with weight digest ``digest`` is cached."""
    folder = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "skill-onnx"
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return folder / f"{stem}-{digest or 'nodigest'}-v{EXPORT_VERSION}.onnx"


def open_exported(
    name: str, digest: str, cache_dir: str | os.PathLike | None = None, num_threads: int = 0
) -> OnnxEncoder | None:
    """Opens an encoder's cached export without torch, or ``None`` when there is none.

    Args:
        name: The encoder's name (a catalog manifest's key).
        digest: Its weight digest (the manifest entry's ``digest``); the export of other
            weights never matches.
        cache_dir: See :func:`create_onnx_encoder`.
        num_threads: See :class:`OnnxEncoder`.

    Returns:
        The export, or ``None``: no digest, no export or card yet (a search with the encoder
        itself writes both), or no ``onnxruntime``.
    """
    import importlib.util

    path = export_path(name, digest, cache_dir)
    card = path.with_suffix(".json")
    if not digest or not (path.is_file() and card.is_file()):
        return None
    if importlib.util.find_spec("onnxruntime") is None:
        return None
    try:
        record = json.loads(card.read_text())
        if (record.get("version"), record.get("name"), record.get("digest")) != (
            CARD_VERSION,
            name,
            digest,
        ):
            return None
        preprocess = Preprocess.from_dict(record["preprocess"])
        dim = int(record["embedding_dim"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    key = (str(path), digest, num_threads)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = OnnxEncoder(path, preprocess, name, dim, digest, num_threads)
        return _CACHE[key]


def _card(encoder: Encoder) -> dict[str, Any]:
    """What an export depends on besides its name: weights, input and output shape, and the
    pooled stages and polarity views where there are any."""
    stages = getattr(encoder, "pool_stages", ())
    polarity = getattr(encoder, "polarity_views", False)
    return {
        "digest": encoder.digest,
        "embedding_dim": encoder.embedding_dim,
        "preprocess": encoder.preprocess.to_dict(),
        **({"pool_stages": list(stages)} if stages else {}),
        **({"polarity_views": True} if polarity else {}),
    }


def _card_matches(path: Path, encoder: Encoder) -> bool:
    """Whether the export at ``path`` was made for ``encoder``'s weights and shapes."""
    try:
        record = json.loads(path.with_suffix(".json").read_text())
    except (OSError, ValueError):
        return False
    expected = json.loads(json.dumps(_card(encoder)))  # as read back: tuples become lists
    return all(record.get(key) == value for key, value in expected.items())


def _write_card(path: Path, encoder: Encoder) -> None:
    """The ``.json`` card beside an export: what :func:`open_exported` needs to run it."""
    card = path.with_suffix(".json")
    record = {"version": CARD_VERSION, "name": encoder.name, **_card(encoder)}
    staging = card.with_suffix(f".{os.getpid()}.tmp")
    staging.write_text(json.dumps(record, indent=2) + "\n")
    staging.replace(card)


def create_onnx_encoder(
    encoder: Encoder,
    cache_dir: str | os.PathLike | None = None,
    num_threads: int = 0,
    spinning: bool = True,
) -> OnnxEncoder:
    """Exports ``encoder`` once and opens it with ONNX Runtime.

    The export is cached on disk and in memory under the encoder's name and weight digest, so
    an encoder whose weights change (training) must get a new digest, or pass a fresh
    ``cache_dir``, to be exported again. A ``.json`` card beside it lets :func:`open_exported`
    open it later without the encoder.

    Args:
        encoder: The encoder to accelerate.
        cache_dir: Folder for ``<name>-<digest>-v<EXPORT_VERSION>.onnx``; defaults to a folder in the system
            temporary directory.
        num_threads: See :class:`OnnxEncoder`.
        spinning: See :func:`onnx_session`.

    Returns:
        An :class:`OnnxEncoder`.
    """
    path = export_path(encoder.name, encoder.digest, cache_dir)
    if not encoder.digest:  # nothing identifies these weights: export afresh, cache nothing
        return OnnxEncoder.from_encoder(export_onnx(encoder, path), encoder, num_threads, spinning)
    shape = json.dumps(_card(encoder), sort_keys=True)
    key = (str(path), encoder.digest, shape, num_threads, spinning)
    with _LOCK:
        if key not in _CACHE:
            if not path.exists() or not _card_matches(path, encoder):
                # Same weights exported at another input size or embedding: export again.
                export_onnx(encoder, path)
                _write_card(path, encoder)
            _CACHE[key] = OnnxEncoder.from_encoder(path, encoder, num_threads, spinning)
        return _CACHE[key]
