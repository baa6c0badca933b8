"""Products pasted on cluttered backgrounds: where a model must find the garment to judge it.

Packshots show one product on a plain background, so a model that pools the whole photo barely
suffers from looking at the background. Street and social-media photos do not. To measure
that, the product is cut out of its packshot (:func:`product_mask`: the pixels far from the
border colour, gaps closed and holes filled) and pasted, a little smaller and shifted, on a
procedurally drawn background (:func:`clutter_background`): colour blobs, stripes at any
angle, checks, smooth noise, line tangles or a "room" of shapes. Nothing is downloaded; a
background is a pure function of its seed, so a cluttered copy is reproducible.

Example:
    >>> rng = np.random.default_rng(7)
    >>> cluttered, mask = paste_on_clutter(image, product_mask(image), rng)
    >>> cluttered.size == image.size, mask.shape == (image.height, image.width)
    (True, True)
"""

from __future__ import annotations

import zlib

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from skill.images.colors import rgb_to_lab

BACKGROUND_KINDS = ("blobs", "stripes", "checks", "noise", "lines", "room")
"""The families of procedural backgrounds; each call picks one at random."""


def product_mask(
    image: Image.Image,
    threshold: float = 8.0,
    edge: float = 4.0,
    close: int = 15,
    work_size: int = 270,
) -> np.ndarray:
    """The product's silhouette in a packshot: its pixels, gaps closed, holes filled.

    A pixel is product when its Lab colour is far from the background, a quadratic surface
    fitted to the photo's border (studio backgrounds shade from corner to corner), or when it
    lies on an edge of the lightness. The outline is closed and filled; specks are dropped.
    A white product on a white background leaves a broken outline; when the filled mask covers
    less than 60 % of its convex hull, the hull is the silhouette.

    Args:
        image: An RGB packshot on a plain background.
        threshold: Lab distance from the fitted background counted as product. Typical 6-16:
            pale garments on white need the low end.
        edge: Smallest lightness gradient (Lab L per pixel, Sobel) counted as an outline.
            Typical 3-8.
        close: Side of the square closing element in pixels of a 540 px tall photo: gaps in
            the outline narrower than this are bridged. Typical 7-21.
        work_size: The mask is computed with the photo's longer side reduced to this, then
            scaled back (4x faster at 270 px than at 540, 99 % of pixels agree). Typical
            200-540.

    Returns:
        Shape (height, width), bool. All ``False`` when nothing stands out.
    """
    from scipy import ndimage

    full_size = image.size
    scale = min(1.0, work_size / max(full_size))
    if scale < 1.0:
        small = (max(1, round(full_size[0] * scale)), max(1, round(full_size[1] * scale)))
        image = image.convert("RGB").resize(small, Image.Resampling.BILINEAR)
    close = max(3, round(close * min(full_size) / 360 * scale))
    rgb = np.asarray(image.convert("RGB"))
    height, width, _ = rgb.shape
    lab = rgb_to_lab(rgb.reshape(-1, 3).astype(np.float32) / 255.0).reshape(height, width, 3)
    distance = np.linalg.norm(lab - _border_surface(lab), axis=-1)
    lightness = ndimage.gaussian_filter(lab[..., 0], 1.0)
    gradient = np.hypot(ndimage.sobel(lightness, 0), ndimage.sobel(lightness, 1)) / 8
    mask = (distance > threshold) | (gradient > edge)
    mask[:2], mask[-2:], mask[:, :2], mask[:, -2:] = False, False, False, False  # JPEG borders
    mask = ndimage.binary_closing(mask, np.ones((close, close), bool), border_value=0)
    mask = ndimage.binary_fill_holes(mask)
    mask = ndimage.binary_opening(mask, np.ones((3, 3), bool))
    labels, count = ndimage.label(mask)
    if count > 1:  # specks of JPEG noise and shadow are dropped; parts of a product are kept
        sizes = ndimage.sum(mask, labels, index=np.arange(1, count + 1))
        mask = np.isin(labels, np.flatnonzero(sizes >= max(64, 0.02 * sizes.max())) + 1)
    hull = _convex_hull(mask)
    if mask.sum() < 0.6 * hull.sum():
        mask = hull
    if scale < 1.0:
        back = Image.fromarray(mask.astype(np.uint8) * 255).resize(
            full_size, Image.Resampling.BILINEAR
        )
        mask = np.asarray(back) >= 128
    return mask


def _border_surface(lab: np.ndarray, border: int = 4) -> np.ndarray:
    """The background's Lab colour at every pixel: a quadratic fitted to the border frame.

    Fitted twice, the second time without the 20 % of frame pixels worst fitted (a product
    that touches the frame). Shape (height, width, 3).
    """
    height, width, _ = lab.shape
    ys, xs = np.mgrid[0:height, 0:width]
    frame = np.zeros((height, width), bool)
    frame[:border], frame[-border:], frame[:, :border], frame[:, -border:] = (True,) * 4

    def terms(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x, y = x / width - 0.5, y / height - 0.5
        return np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], axis=-1)

    design, target = terms(xs[frame] * 1.0, ys[frame] * 1.0), lab[frame]
    coefficients = np.linalg.lstsq(design, target, rcond=None)[0]
    error = np.linalg.norm(design @ coefficients - target, axis=1)
    inliers = error <= np.percentile(error, 80)
    coefficients = np.linalg.lstsq(design[inliers], target[inliers], rcond=None)[0]
    return terms(xs * 1.0, ys * 1.0) @ coefficients


def _convex_hull(mask: np.ndarray) -> np.ndarray:
    """The filled convex hull of a mask's pixels (the mask itself when it is too small)."""
    from scipy.spatial import ConvexHull, QhullError

    ys, xs = np.nonzero(mask)
    if len(xs) < 16:
        return mask
    points = np.stack([xs, ys], axis=1)
    try:
        hull = ConvexHull(points)
    except QhullError:  # all points on a line
        return mask
    canvas = Image.new("L", (mask.shape[1], mask.shape[0]), 0)
    ImageDraw.Draw(canvas).polygon([tuple(map(float, points[v])) for v in hull.vertices], fill=1)
    return np.asarray(canvas, dtype=bool) | mask


def clutter_background(width: int, height: int, rng: np.random.Generator) -> Image.Image:
    """A procedurally drawn, busy RGB background.

    Args:
        width: Width in pixels.
        height: Height in pixels.
        rng: Source of every random choice (kind, palette, shapes).

    Returns:
        An RGB image of the given size.
    """
    kind = BACKGROUND_KINDS[int(rng.integers(len(BACKGROUND_KINDS)))]
    palette = _palette(rng, int(rng.integers(3, 7)))
    if kind == "noise":
        image = _noise(width, height, palette, rng)
    else:
        image = Image.new("RGB", (width, height), palette[0])
        draw = ImageDraw.Draw(image)
        {"blobs": _blobs, "stripes": _stripes, "checks": _checks, "lines": _lines, "room": _room}[
            kind
        ](draw, width, height, palette, rng)
    if rng.random() < 0.5:  # some texture everywhere: real backgrounds are never flat
        grain = rng.normal(0, 10, (height, width, 1))
        image = Image.fromarray(np.clip(np.asarray(image) + grain, 0, 255).astype(np.uint8))
    return image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0, 1.5))))


def clutter_rng(seed: int, key: str) -> np.random.Generator:
    """The random source of one photo's cluttered copy: its path and the seed, nothing else."""
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])


def paste_on_clutter(
    image: Image.Image,
    mask: np.ndarray,
    rng: np.random.Generator,
    scale: tuple[float, float] = (0.7, 1.0),
) -> tuple[Image.Image, np.ndarray]:
    """Pastes the product of a packshot, resized and shifted, on a cluttered background.

    Args:
        image: The packshot, RGB.
        mask: Its product silhouette, shape (height, width), bool (:func:`product_mask`).
        rng: Source of the background, the scale and the shift.
        scale: Range of the product's size relative to the packshot. Typical (0.6, 1.0).

    Returns:
        ``(cluttered, pasted_mask)``: an RGB image of the packshot's size, and where the
        product now is, shape (height, width), bool.
    """
    width, height = image.size
    if mask.shape != (height, width):
        raise ValueError(f"mask shape {mask.shape} does not match the image ({height}, {width})")
    background = clutter_background(width, height, rng)
    factor = float(rng.uniform(*scale))
    new_w, new_h = max(1, round(width * factor)), max(1, round(height * factor))
    product = image.convert("RGB").resize((new_w, new_h), Image.Resampling.BILINEAR)
    alpha = Image.fromarray(mask.astype(np.uint8) * 255).resize(
        (new_w, new_h), Image.Resampling.BILINEAR
    )
    left = int(rng.integers(0, width - new_w + 1))
    top = int(rng.integers(0, height - new_h + 1))
    # A soft edge of a pixel or two, as a cut-out product has, not a staircase.
    background.paste(product, (left, top), alpha.filter(ImageFilter.GaussianBlur(0.8)))
    pasted = np.zeros((height, width), bool)
    pasted[top : top + new_h, left : left + new_w] = np.asarray(alpha) >= 128
    return background, pasted


def _palette(rng: np.random.Generator, count: int) -> list[tuple[int, int, int]]:
    colours = rng.integers(0, 256, (count, 3))
    return [tuple(int(v) for v in colour) for colour in colours]


def _pick(palette, rng) -> tuple[int, int, int]:
    return palette[int(rng.integers(len(palette)))]


def _blobs(draw, width, height, palette, rng) -> None:
    for _ in range(int(rng.integers(15, 60))):
        x, y = rng.uniform(-0.1, 1.1) * width, rng.uniform(-0.1, 1.1) * height
        rx, ry = rng.uniform(0.03, 0.25) * width, rng.uniform(0.03, 0.25) * height
        shape = draw.ellipse if rng.random() < 0.6 else draw.rectangle
        shape((x - rx, y - ry, x + rx, y + ry), fill=_pick(palette, rng))


def _stripes(draw, width, height, palette, rng) -> None:
    period = rng.uniform(8, 60)
    angle = rng.uniform(0, np.pi)
    direction, across = (
        np.array([np.cos(angle), np.sin(angle)]),
        np.array([-np.sin(angle), np.cos(angle)]),
    )
    centre, reach = np.array([width, height]) / 2, np.hypot(width, height)
    colours = [_pick(palette, rng) for _ in range(int(rng.integers(2, 4)))]
    for i, offset in enumerate(np.arange(-reach, reach, period)):
        band = period * rng.uniform(0.3, 0.7)
        a = centre + across * offset - direction * reach
        b = centre + across * offset + direction * reach
        c, d = b + across * band, a + across * band
        draw.polygon([tuple(a), tuple(b), tuple(c), tuple(d)], fill=colours[i % len(colours)])


def _checks(draw, width, height, palette, rng) -> None:
    size = rng.uniform(10, 70)
    colours = [_pick(palette, rng) for _ in range(2)]
    for row, y in enumerate(np.arange(0, height, size)):
        for col, x in enumerate(np.arange(0, width, size)):
            if (row + col) % 2:
                draw.rectangle((x, y, x + size, y + size), fill=colours[(row // 2) % 2])


def _lines(draw, width, height, palette, rng) -> None:
    for _ in range(int(rng.integers(20, 80))):
        points = [
            (rng.uniform(0, width), rng.uniform(0, height)) for _ in range(int(rng.integers(2, 5)))
        ]
        draw.line(points, fill=_pick(palette, rng), width=int(rng.integers(1, 9)))


def _room(draw, width, height, palette, rng) -> None:
    horizon = rng.uniform(0.4, 0.8) * height
    draw.rectangle((0, horizon, width, height), fill=_pick(palette, rng))
    for _ in range(int(rng.integers(4, 12))):  # furniture, frames, plants: boxes and ovals
        x0, y0 = rng.uniform(-0.1, 0.9) * width, rng.uniform(0, 0.9) * height
        x1, y1 = x0 + rng.uniform(0.1, 0.5) * width, y0 + rng.uniform(0.1, 0.5) * height
        shape = draw.rectangle if rng.random() < 0.7 else draw.ellipse
        shape((x0, y0, x1, y1), fill=_pick(palette, rng), outline=_pick(palette, rng), width=3)


def _noise(width, height, palette, rng) -> Image.Image:
    """Smooth value noise of a few octaves, mapped through the palette."""
    field = np.zeros((height, width), np.float32)
    for octave in range(int(rng.integers(2, 5))):
        cells = 2 ** (octave + 2)
        coarse = rng.random((cells, max(2, cells * width // height))).astype(np.float32)
        layer = Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)
        field += np.asarray(layer) / 2**octave
    field = (field - field.min()) / max(float(np.ptp(field)), 1e-6)
    colours = np.asarray(palette, np.float32)
    position = field * (len(colours) - 1)
    low = np.floor(position).astype(int).clip(0, len(colours) - 2)
    fraction = (position - low)[..., None]
    rgb = colours[low] * (1 - fraction) + colours[low + 1] * fraction
    return Image.fromarray(rgb.clip(0, 255).astype(np.uint8))
