"""An encoder exported to ONNX and run by ONNX Runtime: the fast path for bulk embedding.

On a 2-core CPU, ONNX Runtime runs EfficientNet-Lite0 several times faster than eager PyTorch
(fused convolution + batch norm + activation, NCHWc kernels for the depthwise layers; see
``benchmarks/README.md``). The exported graph includes the projection head and the final L2
normalisation, so its outputs equal the PyTorch encoder's to about 1e-6 (tested to 1e-4).

Export needs the ``onnx`` package and inference ``onnxruntime``; neither is imported by
``import skill``. An :class:`OnnxEncoder` stands in for an :class:`~skill.encoders.registry.Encoder`
wherever one is only called on batches (``embed_images(..., runtime="onnx")`` does this).

Example:
    >>> fast = create_onnx_encoder(encoder)             # exports once per encoder digest
    >>> fast(torch.zeros(2, 3, 224, 224)).shape
    torch.Size([2, 1280])
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import numpy as np
import torch

from skill.encoders.registry import Encoder

ONNX_OPSET = 17
EXPORT_VERSION = 2
"""Part of each cached export's file name: 2 fixes SAME padding (:func:`freeze_same_padding`)."""
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
    import importlib.util

    if importlib.util.find_spec("onnx") is None:
        raise ModuleNotFoundError("exporting to ONNX needs the 'onnx' package: pip install onnx")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = encoder.preprocess.input_size
    example = torch.zeros(1, 3, size, size)
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


def onnx_session(path: str | os.PathLike, num_threads: int = 0):
    """An ONNX Runtime CPU session with every graph optimisation; ``num_threads`` 0 uses
    ``torch.get_num_threads()``."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = num_threads or torch.get_num_threads()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """An ONNX Runtime session that behaves like an :class:`Encoder` when called on a batch.

    Args:
        path: An ``.onnx`` file written by :func:`export_onnx`.
        encoder: The encoder it was exported from (for ``preprocess``, ``info``, ``digest``).
        num_threads: ONNX Runtime intra-op threads; 0 uses ``torch.get_num_threads()``.
            Typical: the number of physical cores.
    """

    def __init__(self, path: str | os.PathLike, encoder: Encoder, num_threads: int = 0) -> None:
        self.session = onnx_session(path, num_threads)
        self.path = Path(path)
        self.preprocess = encoder.preprocess
        self.info = encoder.info
        self.digest = encoder.digest

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def embedding_dim(self) -> int:
        return self.info.embedding_dim

    def eval(self) -> OnnxEncoder:
        """No-op, for symmetry with ``nn.Module.eval``."""
        return self

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Embeds a batch.

        Args:
            images: Shape (batch, 3, input_size, input_size), normalised.

        Returns:
            Shape (batch, embedding_dim), unit L2 norm.
        """
        array = np.ascontiguousarray(images.detach().cpu().numpy(), dtype=np.float32)
        (out,) = self.session.run(None, {"images": array})
        return torch.from_numpy(out)


def create_onnx_encoder(
    encoder: Encoder, cache_dir: str | os.PathLike | None = None, num_threads: int = 0
) -> OnnxEncoder:
    """Exports ``encoder`` once and opens it with ONNX Runtime.

    The export is cached on disk and in memory under the encoder's name and weight digest, so
    an encoder whose weights change (training) must get a new digest, or pass a fresh
    ``cache_dir``, to be exported again.

    Args:
        encoder: The encoder to accelerate.
        cache_dir: Folder for ``<name>-<digest>-v<EXPORT_VERSION>.onnx``; defaults to a folder in the system
            temporary directory.
        num_threads: See :class:`OnnxEncoder`.

    Returns:
        An :class:`OnnxEncoder`.
    """
    folder = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "skill-onnx"
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in encoder.name)
    path = folder / f"{stem}-{encoder.digest or 'nodigest'}-v{EXPORT_VERSION}.onnx"
    if not encoder.digest:  # nothing identifies these weights: export afresh, cache nothing
        return OnnxEncoder(export_onnx(encoder, path), encoder, num_threads)
    key = (str(path), encoder.digest, num_threads)
    with _LOCK:
        if key not in _CACHE:
            if not path.exists():
                export_onnx(encoder, path)
            _CACHE[key] = OnnxEncoder(path, encoder, num_threads)
        return _CACHE[key]
