"""Product photos: colour a design's layers in one colourway and shoot it on a packshot background.

Example:
    >>> design = sample_designs(1, seed=0)[0]
    >>> images = render_colour_sweep(design, ["Navy", "Red", "Beige"])  # same design, 3 colours
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from skill.demo.design import Design
from skill.demo.layers import ProductLayers, prepare_layers
from skill.demo.palette import PALETTE, colour_rgb, derive_colour, luminance

BACKGROUND = np.array([238, 237, 234], dtype=np.float32) / 255.0
"""The studio backdrop: a warm off-white, light grey towards the bottom."""


@dataclass(frozen=True)
class Variation:
    """Small differences between two photo shoots of one product.

    Attributes:
        shift_x: Horizontal offset in fractions of the width. Typical values are in [-0.03, 0.03].
        shift_y: Vertical offset in fractions of the height. Typical values are in [-0.03, 0.03].
        scale: Zoom factor. Typical values are in [0.95, 1.01].
        angle: Rotation in degrees, counter-clockwise. Typical values are in [-3, 3].
        light: Brightness change of the backdrop. Typical values are in [-0.03, 0.02].
    """

    shift_x: float = 0.0
    shift_y: float = 0.0
    scale: float = 1.0
    angle: float = 0.0
    light: float = 0.0


def sample_variation(rng: np.random.Generator, strength: float = 1.0) -> Variation:
    """Draw a photo-shoot variation; strength 0 gives none, 1 the typical ranges of `Variation`."""
    if strength < 0:
        raise ValueError(f"strength must be >= 0, got {strength}")
    u = rng.uniform(-1.0, 1.0, size=5) * strength
    u = [float(x) for x in u]
    return Variation(
        0.025 * u[0], 0.02 * u[1], 1.0 - 0.02 * strength + 0.03 * u[2], 2.5 * u[3], 0.02 * u[4]
    )


def _role_colours(design: Design, colour: str, roles: list[str]) -> np.ndarray:
    """Return the colour of every label for one colourway. Shape (n_labels, 3)."""
    shape = design.shape
    primary = colour_rgb(colour)
    light = luminance(primary) > 0.5
    material = {
        "fabric": primary,
        "rib": primary * 0.97,
        "inside": primary * 0.7 if light else primary * 0.82,
        "contrast": derive_colour(design.print.second_colour, colour),
        "sole": colour_rgb(str(shape.get("sole colour", "white sole"))),
        "button": primary * 0.8 + 0.12 if not light else primary * 0.9,
        "metal": colour_rgb(str(shape.get("hardware", "silver"))),
        "strap": primary * 0.85
        if shape.get("strap", "match") == "match"
        else colour_rgb(str(shape["strap"])),
        "lace": colour_rgb("white sole") if shape.get("laces") == "white" else primary * 0.92,
        "background": BACKGROUND,
    }
    return np.stack([material[r] for r in roles]).astype(np.float32)


def colourize(layers: ProductLayers, design: Design, colour: str) -> np.ndarray:
    """Colour a design's layers in one colourway.

    Args:
        layers: From `prepare_layers`.
        design: The design the layers were drawn from.
        colour: The colourway, a `PALETTE` name.

    Returns:
        The product over the whole supersampled frame, premultiplied RGBA. Shape (h, w, 4),
        uint8. Its alpha channel (the silhouette) does not depend on the colour.
    """
    if colour not in PALETTE:
        raise ValueError(f"unknown colour {colour!r}; choose one of {sorted(PALETTE)}")
    table = _role_colours(design, colour, layers.roles)
    table[0] = 0.0  # premultiplied: nothing on the backdrop
    primary = colour_rgb(colour)
    rgb = table[layers.labels]
    if (
        design.print.kind != "solid"
    ):  # the print shows on fabric pieces only, whose colour is primary
        second = derive_colour(design.print.second_colour, colour)
        rgb += layers.amount[..., None] * (second - primary)
    shade = layers.shade[..., None]
    rgb *= shade
    if luminance(primary) < 0.2:  # dark cloth still shows its folds in a photo
        rgb += (0.2 * (1 - primary)) * (shade - 1)
    if len(layers.stitch_cover):
        rows, cols = layers.stitch_pixels
        if design.fabric == "denim":
            thread = colour_rgb("jeans thread")
        else:
            thread = table[layers.labels[rows, cols]] * 0.72
        rgb[rows, cols] += (thread - rgb[rows, cols]) * (0.85 * layers.stitch_cover[:, None])
    np.clip(rgb, 0.0, 1.0, out=rgb)
    rgb *= 255.0
    rgb += 0.5
    out = np.zeros((*layers.frame, 4), dtype=np.uint8)
    (y0, x0), (h, w) = layers.origin, layers.labels.shape
    out[y0 : y0 + h, x0 : x0 + w, :3] = rgb
    out[y0 : y0 + h, x0 : x0 + w, 3] = (layers.labels > 0) * np.uint8(255)
    return out


@functools.lru_cache(maxsize=8)
def _backdrop(h: int, w: int) -> np.ndarray:
    y = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    x = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :, None]
    return BACKGROUND * (1.012 - 0.035 * y - 0.01 * x**2)


def shoot(product: np.ndarray, width: int, variation: Variation | None = None) -> Image.Image:
    """Photograph a coloured product: pose it, downsample it, put it on the backdrop with a shadow.

    Args:
        product: Supersampled premultiplied RGBA from `colourize`. Shape (h, w, 4), uint8.
        width: Output width in pixels; the height keeps the aspect ratio.
        variation: Photo-shoot variation; None for the canonical pose.

    Returns:
        The RGB photo.
    """
    h, w = product.shape[:2]
    img = Image.frombytes("RGBa", (w, h), product.tobytes())
    height = round(width * h / w)
    if w % width == 0 and h % height == 0 and w // width == h // height:
        # Averaging each block of supersamples is the classic anti-aliasing filter; unlike
        # LANCZOS it does not ring (no light halo around a dark product) and is 10x faster.
        small = img.reduce(w // width)
    else:
        small = img.resize((width, height), Image.Resampling.BOX)
    v = variation or Variation()
    if v != Variation():
        a = np.radians(v.angle)
        cos, sin = np.cos(a) / v.scale, np.sin(a) / v.scale
        cx, cy = width / 2 + v.shift_x * width, height / 2 + v.shift_y * height
        # Inverse map, output pixel -> source pixel, rotating and zooming about the centre.
        coeffs = (
            cos,
            sin,
            width / 2 - cos * cx - sin * cy,
            -sin,
            cos,
            height / 2 + sin * cx - cos * cy,
        )
        small = small.transform(
            (width, height), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR
        )
    premult = np.asarray(small, dtype=np.float32) / 255.0
    coverage = premult[..., 3:]
    shadow = small.getchannel("a").filter(ImageFilter.GaussianBlur(width / 55))
    shadow = np.roll(
        np.asarray(shadow, dtype=np.float32) / 255.0, (height // 120 + 1, 0), axis=(0, 1)
    )
    back = (_backdrop(height, width) + v.light) * (1 - 0.16 * shadow[..., None])
    photo = back * (1 - coverage) + premult[..., :3]
    return Image.fromarray((np.clip(photo, 0, 1) * 255 + 0.5).astype(np.uint8), mode="RGB")


def render_product(design: Design, colour: str, variation: Variation | None = None, width: int = 256,
                   aspect: float = 1.25) -> Image.Image:  # fmt: skip
    """Render one packshot of a design in one colourway.

    Args:
        design: The design.
        colour: The colourway, a `PALETTE` name.
        variation: Photo-shoot variation (`sample_variation`); None for the canonical pose, in
            which two colourways of a design have exactly the same silhouette.
        width: Image width in pixels. Typical values are in [128, 512].
        aspect: Height / width. 1.25 gives the default 256 x 320 portrait.
    """
    return render_colour_sweep(design, [colour], [variation], width, aspect)[0]


def render_product_mask(design: Design, width: int = 256, aspect: float = 1.25) -> np.ndarray:
    """Return the silhouette of a design in the canonical pose. Shape (height, width), bool.

    It is the same for every colourway: the mask is drawn before any colour is chosen.
    """
    layers = prepare_layers(design, width, aspect)
    frame = np.zeros(layers.frame, dtype=np.uint8)
    (y0, x0), (h, w) = layers.origin, layers.labels.shape
    frame[y0 : y0 + h, x0 : x0 + w] = (layers.labels > 0) * np.uint8(255)
    small = Image.fromarray(frame).resize((width, round(width * aspect)), Image.Resampling.BOX)
    return np.asarray(small) >= 128


def render_colour_sweep(design: Design, colours: list[str], variations: list[Variation | None] | None = None,
                        width: int = 256, aspect: float = 1.25) -> list[Image.Image]:  # fmt: skip
    """Render one design in many colourways, drawing its shape and print only once.

    This is the controlled colour-invariance benchmark: the images differ only in colour (and
    in the given variations).

    Args:
        design: The design.
        colours: Colourways, `PALETTE` names; any number, repeats allowed.
        variations: One variation (or None) per colour; None for the canonical pose throughout.
        width: Image width in pixels.
        aspect: Height / width.
    """
    variations = variations if variations is not None else [None] * len(colours)
    if len(variations) != len(colours):
        raise ValueError(f"got {len(variations)} variations for {len(colours)} colours")
    layers = prepare_layers(design, width, aspect)
    return [
        shoot(colourize(layers, design, c), width, v)
        for c, v in zip(colours, variations, strict=True)
    ]
