"""How an encoder wants its pixels: size, resize policy and normalisation.

A :class:`Preprocess` travels with every encoder (it is saved in the checkpoint's
``config.json``), so a catalog built today is embedded the same way tomorrow.

Two resize policies:

- ``"crop"``: timm's eval transform: resize the shorter side to ``input_size / crop_pct``
  (bicubic) and take the centre ``input_size`` square. This is what ImageNet models expect and
  what the baseline figures in the README use.
- ``"pad"``: fit the whole photo inside the square and pad with the photo's own border colour.
  Portrait packshots keep their hem and neckline, where much of a design lives.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

if TYPE_CHECKING:  # torch loads only where a tensor is made: ONNX searches never import it
    import torch

RESIZE_MODES = ("crop", "pad")
_INTERPOLATIONS = {
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "lanczos": Image.Resampling.LANCZOS,
}


@dataclass(frozen=True)
class Preprocess:
    """Pixel preparation for one encoder.

    Attributes:
        input_size: Side of the square fed to the network, in pixels. Typical 96-288.
        crop_pct: For ``"crop"``: fraction of the resized shorter side kept. Typical 0.85-1.0.
        resize_mode: ``"crop"`` or ``"pad"`` (see module docstring).
        mean: Per-channel mean subtracted after scaling to [0, 1].
        std: Per-channel standard deviation divided out.
        interpolation: ``"bicubic"``, ``"bilinear"`` or ``"lanczos"``.
        grayscale: Convert to grey (kept as 3 channels) before normalising.
    """

    input_size: int = 224
    crop_pct: float = 0.875
    resize_mode: str = "crop"
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    interpolation: str = "bicubic"
    grayscale: bool = False

    def __post_init__(self) -> None:
        if self.resize_mode not in RESIZE_MODES:
            raise ValueError(f"resize_mode must be one of {RESIZE_MODES}, got {self.resize_mode!r}")
        if self.interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"interpolation must be one of {tuple(_INTERPOLATIONS)}, got {self.interpolation!r}"
            )
        if not 16 <= self.input_size <= 1024:
            raise ValueError(f"input_size must be in [16, 1024], got {self.input_size}")
        if not 0.1 < self.crop_pct <= 1.0:
            raise ValueError(f"crop_pct must be in (0.1, 1], got {self.crop_pct}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Preprocess:
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown preprocess keys {sorted(unknown)}; valid: {sorted(known)}")
        values = dict(values)
        for key in ("mean", "std"):
            if key in values:
                values[key] = tuple(float(v) for v in values[key])
        return cls(**values)

    @property
    def decode_size(self) -> int:
        """Shorter side a decoder must keep so that resizing loses nothing."""
        return int(self.input_size / self.crop_pct) + 1


def resize_image(image: Image.Image, preprocess: Preprocess) -> Image.Image:
    """Resizes an RGB image to the encoder's square input, per ``preprocess.resize_mode``."""
    return _resize(image, preprocess).convert("RGB")


def _resize(image: Image.Image, preprocess: Preprocess) -> Image.Image:
    """:func:`resize_image`, grey photos left as one channel ("L").

    A grey photo is resized as one channel: the same pixels as resizing the three equal
    channels, a third of the work.
    """
    size = preprocess.input_size
    resample = _INTERPOLATIONS[preprocess.interpolation]
    if preprocess.grayscale:
        image = image.convert("L")
    if preprocess.resize_mode == "pad":
        return pad_to_square(image.convert("RGB"), size, resample)
    scale_size = int(size / preprocess.crop_pct)  # timm: floor(input_size / crop_pct)
    width, height = image.size
    if width <= height:
        new_w, new_h = scale_size, int(scale_size * height / width)
    else:
        new_w, new_h = int(scale_size * width / height), scale_size
    image = image.resize((new_w, new_h), resample)
    left = int(round((new_w - size) / 2.0))
    top = int(round((new_h - size) / 2.0))
    return image.crop((left, top, left + size, top + size))


def pad_to_square(image: Image.Image, size: int, resample=Image.Resampling.BICUBIC) -> Image.Image:
    """Fits the whole image in a ``size`` square, padding with its median border colour."""
    width, height = image.size
    scale = size / max(width, height)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    resized = image.resize((new_w, new_h), resample)
    canvas = Image.new("RGB", (size, size), border_color(image))
    canvas.paste(resized, ((size - new_w) // 2, (size - new_h) // 2))
    return canvas


def border_color(image: Image.Image) -> tuple[int, int, int]:
    """Median colour of the image's outer frame: the packshot background."""
    array = np.asarray(image.convert("RGB"))
    frame = np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])
    return tuple(int(v) for v in np.median(frame, axis=0))


def to_array(image: Image.Image, preprocess: Preprocess) -> np.ndarray:
    """Resizes and normalises one RGB image, channels first.

    Normalising is one multiply-add per value, ``pixel * (1 / (255 std)) - mean / std``: equal
    to ``(pixel / 255 - mean) / std`` within float32 rounding (1e-6), a tenth of the time.

    Returns:
        Shape (3, input_size, input_size), float32, C-contiguous.
    """
    resized = np.asarray(_resize(image, preprocess))
    # Grey comes as one channel, normalised with each channel's mean and std below.
    channels = resized[None] if resized.ndim == 2 else resized.transpose(2, 0, 1)
    mean = np.asarray(preprocess.mean, dtype=np.float64)[:, None, None]
    std = np.asarray(preprocess.std, dtype=np.float64)[:, None, None]
    size = preprocess.input_size
    array = np.empty((3, size, size), np.float32)
    np.multiply(channels, (1.0 / (255.0 * std)).astype(np.float32), out=array)
    array += (-mean / std).astype(np.float32)
    return array


def to_tensor(image: Image.Image, preprocess: Preprocess) -> torch.Tensor:
    """:func:`to_array` as a torch tensor.

    Returns:
        Shape (3, input_size, input_size), float32.
    """
    import torch

    return torch.from_numpy(to_array(image, preprocess))
