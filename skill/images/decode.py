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
from dataclasses import dataclass, field
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


@dataclass
class ImageScan:
    """What :func:`scan_images` found in a folder.

    Attributes:
        paths: Photo files, sorted by their path relative to the folder.
        left_out: ``(relative path, reason)`` for every other entry: files of other types,
            hidden files and folders, links leading outside the folder, special files.
    """

    paths: list[Path] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)


def scan_images(folder: str | os.PathLike, recursive: bool = True) -> ImageScan:
    """Lists the photos of a folder, and every entry left out with the reason.

    A symbolic link is followed only when it resolves inside ``folder`` (a link to a file
    elsewhere on the machine is refused: indexing a folder never reads outside it), and links
    to folders are not followed. Hidden entries (``.name``) are skipped, with one line per
    hidden folder.

    Args:
        folder: The folder to scan.
        recursive: Also scan sub-folders.

    Raises:
        FileNotFoundError: ``folder`` is not a folder.
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"not a folder: {root}")
    real_root = root.resolve()
    scan = ImageScan()
    pending = [root]
    while pending:
        directory = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as error:
            where = _relative(directory, root)
            scan.left_out.append((where, f"folder not readable ({error.strerror})"))
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                if is_image_name(entry.name):
                    scan.left_out.append(
                        (_relative(path, root), "a folder named like a photo, not a photo")
                    )
                if recursive:
                    pending.append(path)
                continue
            why = _left_out_reason(entry, path, real_root)
            if why:
                scan.left_out.append((_relative(path, root), why))
            else:
                scan.paths.append(path)
    scan.paths.sort(key=lambda path: path.relative_to(root).as_posix())
    scan.left_out.sort()
    return scan


def _left_out_reason(entry: os.DirEntry, path: Path, real_root: Path) -> str:
    """Why an entry (not a plain sub-folder) is not a photo to index; "" for a photo."""
    if entry.name.startswith("."):
        kind = "folder" if entry.is_dir(follow_symlinks=False) else "file"
        return f"hidden {kind} skipped"
    if entry.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "broken symbolic link skipped"
        if not target.is_relative_to(real_root):
            return "symbolic link leading outside the images folder; refused"
        if target.is_dir():
            return "symbolic link to a folder; not followed"
    if not is_image_name(entry.name):
        suffix = Path(entry.name).suffix.lower()
        if suffix == ".csv":
            return "a CSV, not a photo (give it as the label CSV to use its labels)"
        kind = f"'{suffix}' files are" if suffix else "files without an extension are"
        return f"{kind} not indexed (photo types: {' '.join(IMAGE_EXTENSIONS)})"
    try:
        regular = path.is_file()
    except OSError:
        regular = False
    if not regular:
        return "not a regular file (a device, pipe or socket); skipped"
    return ""


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path != root else "."


def list_images(folder: str | os.PathLike, recursive: bool = True) -> list[Path]:
    """Lists image files (by extension) under a folder in a stable, sorted order.

    Args:
        folder: The folder to scan.
        recursive: Also scan sub-folders.

    Returns:
        Paths sorted by their path relative to ``folder``. Hidden files, links leading outside
        the folder and folders are left out (:func:`scan_images` says why).
    """
    return scan_images(folder, recursive).paths


def thumbnail(image: Image.Image, size: int = 256) -> Image.Image:
    """Returns a copy whose longer side is at most ``size`` pixels."""
    copy = image.copy()
    copy.thumbnail((size, size), Image.Resampling.LANCZOS)
    return copy


def is_image_name(name: str, extensions: Iterable[str] = IMAGE_EXTENSIONS) -> bool:
    """Says whether a file name has one of the accepted image extensions."""
    return name.lower().endswith(tuple(extensions))
