"""Tests of skill.images.decode on every kind of bad or unusual image file.

Huge images are made cheaply: a PNG header that claims 20000 x 20000 pixels, and a PNG whose
pixels compress from 60 MB to a few kB (a decompression bomb). Neither is ever decoded.
"""

import io
import os
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from skill.images.decode import (
    MAX_PIXELS,
    MIN_SIDE,
    ImageLoadError,
    is_image_name,
    list_images,
    load_image,
    scan_images,
    thumbnail,
)
from tests.shapes import FILLS, TINY_CONFIG, draw_shape


def _png_bytes(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **kwargs)
    return buffer.getvalue()


def _jpeg_bytes(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95, **kwargs)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_claiming(width: int, height: int, idat: bytes = b"") -> bytes:
    """A grayscale 8-bit PNG header for ``width x height`` with the given compressed pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def _bomb(width: int = 10_000, height: int = 6_000) -> bytes:
    """A valid PNG of zeros: 60 MB of pixels in a few tens of kB, compressed row by row."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + pixels
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return _png_claiming(width, height, idat)


def _near(pixel, colour, tolerance=40) -> bool:
    return bool(np.abs(np.asarray(pixel, int) - np.asarray(colour, int)).max() <= tolerance)


RED = (255, 0, 0)
BLUE = (0, 0, 255)


# --- files that must be refused with a clear message ---------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file (0 bytes)"),
        (b"hello, this is a text file\n" * 10, "not an image"),
        (b"%PDF-1.4\n" + b"\x00" * 200, "not an image"),
        (_jpeg_bytes(draw_shape("circle", "#c8202a"))[:400], "corrupt or truncated"),
        (_png_bytes(draw_shape("square", "#2f6fd0"))[:-200], "corrupt or truncated"),
        (_png_bytes(Image.new("RGB", (1, 1))), f"too small: 1x1 pixels (need at least {MIN_SIDE})"),
        (_png_bytes(Image.new("RGB", (400, 3))), "too small"),
        (_png_claiming(20_000, 20_000), "too large"),
        (_bomb(), "too large"),
    ],
    ids=[
        "empty",
        "text",
        "pdf",
        "truncated-jpeg",
        "truncated-png",
        "1x1",
        "sliver",
        "20000px",
        "bomb",
    ],
)
def test_bad_files_raise_image_load_error(tmp_path, data, message):
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    for source in (path, data, io.BytesIO(data)):
        with pytest.raises(ImageLoadError, match=message.replace("(", r"\(").replace(")", r"\)")):
            load_image(source)


def test_bomb_is_refused_before_decoding():
    data = _bomb()
    assert len(data) < 200_000 and MAX_PIXELS < 10_000 * 6_000
    with pytest.raises(ImageLoadError, match="too large: 10000x6000 pixels"):
        load_image(data)


def test_pixel_and_byte_limits_are_settings(tmp_path):
    data = _png_bytes(Image.new("RGB", (100, 100), "white"))
    with pytest.raises(ImageLoadError, match="limit 5,000 pixels"):
        load_image(data, max_pixels=5_000)
    path = tmp_path / "big.png"
    path.write_bytes(data)
    for source in (path, data, io.BytesIO(data)):
        with pytest.raises(ImageLoadError, match="file too large"):
            load_image(source, max_bytes=100)
    assert load_image(path).size == (100, 100)


def test_missing_file(tmp_path):
    with pytest.raises(ImageLoadError, match="file not found"):
        load_image(tmp_path / "nothing.jpg")
    with pytest.raises(ImageLoadError, match="file not found"):
        load_image(tmp_path)  # a folder is not a file


# --- unusual files that must load upright, 8-bit RGB --------------------------------------


def test_wrong_extension_is_decoded_by_content(tmp_path):
    path = tmp_path / "really-a-png.jpg"
    path.write_bytes(_png_bytes(Image.new("RGB", (32, 32), RED)))
    image = load_image(path)
    assert image.mode == "RGB" and image.getpixel((5, 5)) == RED


def test_animated_gif_uses_the_first_frame():
    frames = [Image.new("RGB", (32, 32), c) for c in (RED, BLUE)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    image = load_image(buffer.getvalue())
    assert image.mode == "RGB" and _near(image.getpixel((16, 16)), RED, 10)


def test_multi_frame_tiff_uses_the_first_frame():
    frames = [Image.new("RGB", (32, 32), c) for c in (BLUE, RED)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    assert load_image(buffer.getvalue()).getpixel((0, 0)) == BLUE


def test_cmyk_jpeg_becomes_rgb():
    cmyk = Image.new("CMYK", (32, 32), (0, 255, 255, 0))  # pure red in CMYK
    image = load_image(_jpeg_bytes(cmyk))
    assert image.mode == "RGB" and _near(image.getpixel((16, 16)), RED)


def test_16_bit_png_is_stretched_to_8_bit():
    ramp = np.tile(np.linspace(1000, 40000, 64).astype(np.uint16), (16, 1))
    image = load_image(_png_bytes(Image.fromarray(ramp)))
    array = np.asarray(image)
    assert image.mode == "RGB" and array.shape == (16, 64, 3)
    assert array[0, 0, 0] == 0 and array[0, -1, 0] == 255  # the used range fills 0-255
    assert (np.diff(array[0, :, 0].astype(int)) >= 0).all()


def test_float_tiff_becomes_rgb():
    array = np.linspace(-1, 1, 32 * 32, dtype=np.float32).reshape(32, 32)
    buffer = io.BytesIO()
    Image.fromarray(array, "F").save(buffer, format="TIFF")
    image = load_image(buffer.getvalue())
    assert image.mode == "RGB" and np.asarray(image).max() == 255


def test_alpha_png_is_composited_on_white():
    rgba = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    rgba.paste((255, 0, 0, 255), (8, 8, 24, 24))
    image = load_image(_png_bytes(rgba))
    assert image.mode == "RGB"
    assert image.getpixel((0, 0)) == (255, 255, 255) and image.getpixel((16, 16)) == RED


def test_palette_png_with_transparency_is_composited_on_white():
    palette = Image.new("P", (32, 32), 0)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    palette.paste(1, (8, 8, 24, 24))
    image = load_image(_png_bytes(palette, transparency=0))
    assert image.getpixel((0, 0)) == (255, 255, 255) and image.getpixel((16, 16)) == RED


def test_grey_alpha_png():
    la = Image.new("LA", (16, 16), (0, 0))
    la.paste((0, 255), (4, 4, 12, 12))
    image = load_image(_png_bytes(la))
    assert image.getpixel((0, 0)) == (255, 255, 255) and image.getpixel((8, 8)) == (0, 0, 0)


def test_exif_rotation_is_applied():
    array = np.zeros((20, 40, 3), np.uint8)
    array[:, :20] = RED
    array[:, 20:] = BLUE
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    image = load_image(_jpeg_bytes(Image.fromarray(array), exif=exif.tobytes()))
    assert image.size == (20, 40)  # upright: portrait
    assert _near(image.getpixel((10, 5)), RED) and _near(image.getpixel((10, 35)), BLUE)


def test_jpeg_draft_keeps_enough_pixels():
    data = _jpeg_bytes(Image.new("RGB", (1600, 1200), RED))
    image = load_image(data, draft_size=256)
    assert min(image.size) >= 256 and image.size[0] < 1600


# --- batches and indexing go on past bad files ---------------------------------------------


def _bad_files() -> dict[str, bytes]:
    return {
        "empty.jpg": b"",
        "text.png": b"not an image at all",
        "truncated.jpg": _jpeg_bytes(draw_shape("circle", FILLS["Red"]))[:300],
        "tiny.png": _png_bytes(Image.new("RGB", (1, 1))),
        "huge.png": _png_claiming(20_000, 20_000),
        "bomb.png": _bomb(),
    }


def test_a_batch_goes_on_past_every_bad_kind(tmp_path):
    from skill.encoders.embedding import embed_images
    from skill.encoders.encoder import encoder_from_config

    torch.manual_seed(0)
    encoder = encoder_from_config(TINY_CONFIG).eval()
    sources: list = [draw_shape("cross", FILLS["Blue"])]
    for name, data in _bad_files().items():
        (tmp_path / name).write_bytes(data)
        sources.append(tmp_path / name)
    sources.append(_png_bytes(draw_shape("square", FILLS["Green"])))
    result = embed_images(encoder, sources, batch_size=3)
    assert result.indices.tolist() == [0, len(sources) - 1]
    assert [i for i, _ in result.failures] == list(range(1, len(sources) - 1))
    assert all(reason for _, reason in result.failures)


def test_indexing_lists_every_bad_file_as_skipped(tmp_path):
    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.projection import MapConfig
    from skill.catalog.store import open_catalog
    from tests.shapes import save_tiny_encoder

    photos = tmp_path / "photos"
    photos.mkdir()
    for shape in ("circle", "square"):
        draw_shape(shape, FILLS["Red"]).save(photos / f"{shape}.jpg")
    for name, data in _bad_files().items():
        (photos / name).write_bytes(data)
    encoder = save_tiny_encoder(tmp_path / "tiny")
    config = CatalogConfig(map=MapConfig(method="pca"))
    summary = build_catalog(photos, tmp_path / "cat", encoders=[str(encoder)], config=config)
    assert summary.items == 2
    assert sorted(summary.skipped["image_path"]) == sorted(_bad_files())
    assert summary.skipped["reason"].str.len().gt(0).all()
    assert len(open_catalog(tmp_path / "cat").items) == 2


def test_list_images_is_sorted_and_skips_hidden_and_other_files(tmp_path):
    for name in ("b.JPG", "a.png", "sub/c.webp", ".hidden/d.jpg", ".e.jpg", "notes.txt", "f.gif"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    names = [p.relative_to(tmp_path).as_posix() for p in list_images(tmp_path)]
    assert names == ["a.png", "b.JPG", "sub/c.webp"]
    assert [p.name for p in list_images(tmp_path, recursive=False)] == ["a.png", "b.JPG"]
    with pytest.raises(FileNotFoundError):
        list_images(tmp_path / "nowhere")
    assert is_image_name("X.JPEG") and not is_image_name("x.gif")


def test_thumbnail_keeps_the_aspect_ratio():
    assert thumbnail(Image.new("RGB", (400, 200)), 100).size == (100, 50)


def test_scan_images_says_why_every_other_entry_is_left_out(tmp_path):
    folder, outside = tmp_path / "photos", tmp_path / "outside.jpg"
    draw_shape("circle", FILLS["Red"]).save(outside)
    folder.mkdir()
    draw_shape("square", FILLS["Blue"]).save(folder / "a.jpg")
    (folder / "sub").mkdir()
    draw_shape("cross", FILLS["Blue"]).save(folder / "sub" / "b.png")
    frames = [draw_shape("circle", FILLS[c]) for c in ("Red", "Blue")]
    frames[0].save(folder / "anim.gif", save_all=True, append_images=frames[1:])
    (folder / ".hidden.jpg").write_bytes(b"x")
    (folder / ".cache").mkdir()
    (folder / ".cache" / "c.jpg").write_bytes(b"x")
    (folder / "looks-like.jpg").mkdir()
    draw_shape("triangle", FILLS["Red"]).save(folder / "looks-like.jpg" / "inner.jpg")
    (folder / "notes").write_text("x")
    (folder / "link-out.jpg").symlink_to(outside)
    (folder / "link-etc.jpg").symlink_to("/etc/passwd")
    (folder / "link-in.jpg").symlink_to(folder / "a.jpg")
    (folder / "dir-link").symlink_to(folder / "sub")
    (folder / "broken.jpg").symlink_to(tmp_path / "nowhere.jpg")
    os.mkfifo(folder / "pipe.jpg")  # reading it would block for ever

    scan = scan_images(folder)
    assert [p.relative_to(folder).as_posix() for p in scan.paths] == [
        "a.jpg", "link-in.jpg", "looks-like.jpg/inner.jpg", "sub/b.png",
    ]  # fmt: skip
    reasons = dict(scan.left_out)
    assert reasons == {
        ".cache": "hidden folder skipped",
        ".hidden.jpg": "hidden file skipped",
        "anim.gif": "'.gif' files are not indexed (photo types: .jpg .jpeg .png .webp)",
        "broken.jpg": "broken symbolic link skipped",
        "dir-link": "symbolic link to a folder; not followed",
        "link-etc.jpg": "symbolic link leading outside the images folder; refused",
        "link-out.jpg": "symbolic link leading outside the images folder; refused",
        "looks-like.jpg": "a folder named like a photo, not a photo",
        "notes": "files without an extension are not indexed (photo types: .jpg .jpeg .png .webp)",
        "pipe.jpg": "not a regular file (a device, pipe or socket); skipped",
    }
    assert list_images(folder) == scan.paths
