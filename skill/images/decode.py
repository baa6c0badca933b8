"""Safe image decoding: one place that turns untrusted bytes into an RGB picture.

Every image that enters SkiLL (catalog folders, uploads, zip archives, training sets) goes
through :func:`load_image`, so the limits and the error messages are the same everywhere:

- EXIF orientation is applied, so a phone photo shot sideways is searched upright.
- Animated or multi-frame files (GIF, WebP, TIFF) use their first frame.
- Alpha and palette images are composited onto white, the usual packshot background.
- CMYK, 16-bit and float images are converted to 8-bit RGB with their range rescaled.
- Files over ``max_bytes`` or ``max_pixels`` (decompression bombs) are refused before decoding.

Failures raise :class:`ImageLoadError` with a message a merchandiser can act on.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
MAX_BYTES = 50 * 1024 * 1024
"""Largest accepted file. Catalog photos are well under 10 MB; typical values 10-100 MB."""
MAX_PIXELS = 50_000_000
"""Largest accepted width x height (about 8,000 x 6,000). Larger is refused as a likely bomb."""
MIN_SIDE = 8
"""Smallest accepted width or height; a 1x1 pixel carries no design."""

ImageSource = str | os.PathLike | bytes | BinaryIO


class ImageLoadError(ValueError):
    """An image could not be used; ``str(error)`` says why in plain words."""


def load_image(
    source: ImageSource,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    draft_size: int | None = None,
) -> Image.Image:
    """Decodes an image file or bytes into an upright 8-bit RGB picture.

    Args:
        source: A path, raw bytes or a binary file object.
        max_bytes: Files larger than this are refused unread.
        max_pixels: Images with more pixels than this are refused before decoding.
        draft_size: If given, JPEGs may be decoded at a reduced scale whose shorter side stays
            at least this many pixels (much faster for large photos, same result after resize).

    Returns:
        An RGB image.

    Raises:
        ImageLoadError: The source is missing, empty, too large, not an image or corrupt.
    """
    data = _read_bytes(source, max_bytes)
    if not data:
        raise ImageLoadError("empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise ImageLoadError(
                    f"image too large: {width}x{height} pixels (limit {max_pixels:,} pixels)"
                )
            if min(width, height) < MIN_SIDE:
                raise ImageLoadError(
                    f"image too small: {width}x{height} pixels (need at least {MIN_SIDE})"
                )
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)
            if draft_size and image.format == "JPEG":
                image.draft("RGB", (draft_size, draft_size))
            image.load()
            image = ImageOps.exif_transpose(image)
            return _to_rgb(image)
    except ImageLoadError:
        raise
    except UnidentifiedImageError:
        raise ImageLoadError("not an image (unrecognised file format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageLoadError("image too large: refused as a possible decompression bomb") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as error:
        raise ImageLoadError(f"corrupt or truncated image ({error})") from None
    except Exception as error:  # noqa: BLE001 - any decoder bug must not take the app down
        raise ImageLoadError(f"unreadable image ({type(error).__name__}: {error})") from None


def _read_bytes(source: ImageSource, max_bytes: int) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif hasattr(source, "read"):
        data = source.read(max_bytes + 1)
    else:
        path = Path(source)
        if not path.is_file():
            raise ImageLoadError(f"file not found: {path}")
        size = path.stat().st_size
        if size > max_bytes:
            raise ImageLoadError(
                f"file too large: {size / 1e6:.1f} MB (limit {max_bytes / 1e6:.0f} MB)"
            )
        data = path.read_bytes()
    if len(data) > max_bytes:
        raise ImageLoadError(f"file too large (limit {max_bytes / 1e6:.0f} MB)")
    return data


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit and float images: stretch the used range onto 0-255 instead of clipping.
        array = np.asarray(image, dtype=np.float32)
        low, high = float(array.min()), float(array.max())
        array = (array - low) / (high - low) * 255 if high > low else np.zeros_like(array)
        image = Image.fromarray(array.astype(np.uint8), "L")
    if image.mode == "P" or image.mode in ("LA", "PA", "La"):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "RGBa"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image


def list_images(folder: str | os.PathLike, recursive: bool = True) -> list[Path]:
    """Lists image files (by extension) under a folder in a stable, sorted order.

    Args:
        folder: The folder to scan.
        recursive: Also scan sub-folders.

    Returns:
        Paths sorted by their path relative to ``folder``. Hidden files are left out.
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"not a folder: {root}")
    pattern = "**/*" if recursive else "*"
    found = [
        path
        for path in root.glob(pattern)
        if path.suffix.lower() in IMAGE_EXTENSIONS
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    ]
    return sorted(found, key=lambda path: path.relative_to(root).as_posix())


def thumbnail(image: Image.Image, size: int = 256) -> Image.Image:
    """Returns a copy whose longer side is at most ``size`` pixels."""
    copy = image.copy()
    copy.thumbnail((size, size), Image.Resampling.LANCZOS)
    return copy


def is_image_name(name: str, extensions: Iterable[str] = IMAGE_EXTENSIONS) -> bool:
    """Says whether a file name has one of the accepted image extensions."""
    return name.lower().endswith(tuple(extensions))
