"""Colour-independent layers of one product photo: which piece owns each pixel, the print, light.

`prepare_layers` draws a design's outline at supersampled resolution and computes everything that
does not depend on the colourway: the piece map (the silhouette), the print field, shading
(volume, light gradient, folds, wrinkles, fabric texture) and the seams and stitching. Colouring
them in (`render.colourize`) is then a few array operations, so a design is drawn once for all
of its colourways.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from skill.demo.accessories import draw_bag, draw_sneaker
from skill.demo.bottoms import draw_shorts, draw_skirt, draw_trousers
from skill.demo.design import Design
from skill.demo.dresses import draw_dress
from skill.demo.geometry import ROLES, Outline, fit_outline
from skill.demo.knitwear import draw_hoodie, draw_sweater
from skill.demo.prints import print_amount
from skill.demo.textures import fabric_texture, rib_texture, smooth_noise
from skill.demo.tops import draw_shirt, draw_tshirt

DRAWERS = {
    "t-shirt": draw_tshirt,
    "shirt": draw_shirt,
    "sweater": draw_sweater,
    "hoodie": draw_hoodie,
    "dress": draw_dress,
    "skirt": draw_skirt,
    "trousers": draw_trousers,
    "shorts": draw_shorts,
    "sneaker": draw_sneaker,
    "bag": draw_bag,
}

# Largest (width, height) of each kind in the frame, in percent of the frame width; packshots
# fill the frame, so every product is scaled up until it meets one of these limits.
FRAME_BOX = {
    "t-shirt": (84, 102), "shirt": (82, 104), "sweater": (84, 104), "hoodie": (82, 106),
    "dress": (78, 110), "skirt": (72, 100), "trousers": (72, 110), "shorts": (78, 88),
    "sneaker": (84, 66), "bag": (72, 96),
}  # fmt: skip


@dataclass
class ProductLayers:
    """Everything about one product photo that does not depend on its colours.

    Attributes:
        labels: Piece index + 1 per pixel, 0 on the background. Shape (h, w), uint8.
        roles: Colour role per label (index 0 is the background).
        printed: Whether the print shows on each label. Shape (n_labels,), bool.
        amount: Amount of the print's second colour. Shape (h, w), float32.
        shade: Brightness from light, folds, seams and fabric texture, about 1. Shape (h, w),
            float32.
        stitch_pixels: (rows, columns) of the pixels that topstitching thread covers.
        stitch_cover: How much thread covers each of them, in (0, 1]. Shape (n,), float32.
        px_per_unit: Pixels per frame unit (the frame is 100 units wide).
        frame: (height, width) of the whole supersampled frame; the arrays above cover only
            the product's bounding box, whose top-left corner is at `origin` (row, column).
        origin: Where the arrays sit in the frame.
    """

    labels: np.ndarray
    roles: list[str]
    printed: np.ndarray
    amount: np.ndarray
    shade: np.ndarray
    stitch_pixels: tuple[np.ndarray, np.ndarray]
    stitch_cover: np.ndarray
    px_per_unit: float
    frame: tuple[int, int]
    origin: tuple[int, int]


def draw_product(design: Design, aspect: float = 1.25) -> Outline:
    """Return the design's outline fitted into a frame 100 units wide and 100 * aspect high."""
    drawer = DRAWERS.get(design.kind)
    if drawer is None:
        raise ValueError(f"unknown kind {design.kind!r}; choose one of {sorted(DRAWERS)}")
    max_w, max_h = FRAME_BOX[design.kind]
    height = 100 * aspect
    return fit_outline(drawer(design.shape), (50.0, height / 2, max_w, min(max_h, height - 14)))


def _polyline(points: np.ndarray) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in points]


def _paint_pieces(outline: Outline, size: tuple[int, int], ppu: float) -> np.ndarray:
    img = Image.new("L", size, 0)
    draw = ImageDraw.Draw(img)
    for i, piece in enumerate(outline.pieces, start=1):
        pts = piece.points * ppu
        if len(pts) == 1:
            (x, y), r = pts[0], piece.width * ppu
            draw.ellipse([x - r, y - r, x + r, y + r], fill=i)
        elif piece.width > 0:
            width = max(1, round(piece.width * ppu))
            draw.line(_polyline(pts), fill=i, width=width, joint="curve")
            for x, y in (pts[0], pts[-1]):
                draw.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=i)
        else:
            draw.polygon(_polyline(pts), fill=i)
    return np.asarray(img)


def _paint_lines(outline: Outline, size: tuple[int, int], ppu: float, kind: str) -> np.ndarray:
    img = Image.new("L", size, 0)
    draw = ImageDraw.Draw(img)
    widest = 0.0
    for line in outline.lines:
        if line.kind != kind:
            continue
        pts = line.points * ppu
        width = max(1, round(line.width * ppu))
        widest = max(widest, line.width * ppu)
        if kind == "stitch":  # dashes about 4 line widths long
            seg = np.diff(pts, axis=0)
            dense = [pts[0]]
            for p, d in zip(pts[:-1], seg, strict=True):
                n = max(1, int(np.hypot(*d) / (width * 2)))
                dense.extend(p + d * (k + 1) / n for k in range(n))
            for a, b in zip(dense[:-1:2], dense[1::2], strict=False):
                draw.line([tuple(a), tuple(b)], fill=255, width=width)
        else:
            draw.line(_polyline(pts), fill=255, width=width, joint="curve")
    if kind in ("fold", "edge") and widest:
        img = img.filter(ImageFilter.GaussianBlur(widest * 0.6))
    return np.asarray(img, dtype=np.float32) / 255.0


def _edges(labels: np.ndarray) -> np.ndarray:
    """Mark pixels on either side of a change of label (a piece's outline)."""
    edge = np.zeros(labels.shape, dtype=bool)
    dx = labels[:, 1:] != labels[:, :-1]
    dy = labels[1:, :] != labels[:-1, :]
    edge[:, 1:] |= dx
    edge[:, :-1] |= dx
    edge[1:, :] |= dy
    edge[:-1, :] |= dy
    return edge


def _blur(field: np.ndarray, radius: float) -> np.ndarray:
    """Gaussian blur of a [0, 1] field, computed at a quarter of the resolution for speed."""
    h, w = field.shape
    small = Image.fromarray((field * 255).astype(np.uint8)).resize(
        (max(1, w // 4), max(1, h // 4)), Image.Resampling.BOX
    )
    small = small.filter(ImageFilter.GaussianBlur(radius / 4))
    return np.asarray(small.resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32) / 255.0


def prepare_layers(
    design: Design, width: int = 256, aspect: float = 1.25, supersample: int = 2
) -> ProductLayers:
    """Draw a design's colour-independent layers.

    Args:
        design: The design.
        width: Output image width in pixels; the layers are `supersample` times larger.
        aspect: Output height / width.
        supersample: Drawing scale before the final downsampling (anti-aliasing). Typical
            values are in [2, 4]; 2 is sharp enough at 256 px and four times cheaper than 4.

    Returns:
        The layers, at (round(width * aspect) * supersample, width * supersample) pixels.
    """
    ss_w, ss_h = width * supersample, round(width * aspect) * supersample
    ppu = ss_w / 100.0
    outline = draw_product(design, aspect)
    if len(outline.pieces) > 254:
        raise ValueError("an outline may hold at most 254 pieces")
    # Work on the product's bounding box only, with a margin for the blurs.
    bx0, by0, bx1, by1 = outline.bounds()
    margin = 6.0 * ppu
    x0, y0 = max(0, int(bx0 * ppu - margin)), max(0, int(by0 * ppu - margin))
    x1, y1 = (
        min(ss_w, int(np.ceil(bx1 * ppu + margin))),
        min(ss_h, int(np.ceil(by1 * ppu + margin))),
    )
    local = outline.transformed(1.0, (-x0 / ppu, -y0 / ppu))
    size, shape = (x1 - x0, y1 - y0), (y1 - y0, x1 - x0)
    labels = _paint_pieces(local, size, ppu)
    roles = ["background"] + [p.role for p in outline.pieces]
    unknown = set(roles[1:]) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; choose from {ROLES}")
    printed = np.array([False] + [p.printed for p in outline.pieces])
    piece_shade = np.array([1.0] + [p.shade for p in outline.pieces], dtype=np.float32)
    rng = np.random.default_rng(design.print.seed)

    inside = labels > 0
    volume = 1 - 0.22 * (1 - _blur(inside.astype(np.float32), 4.0 * ppu)) ** 1.6
    light_y = (np.arange(y0, y1, dtype=np.float32) / ss_h)[:, None]
    light_x = (np.arange(x0, x1, dtype=np.float32) / ss_w)[None, :]
    light = 1.06 - 0.12 * (0.35 * light_x + 0.65 * light_y)
    wrinkles = 1 + (0.008 + 0.012 * design.shape["drape"]) * smooth_noise(shape, 5 * ppu, rng, 3.0)
    folds = _paint_lines(local, size, ppu, "fold")
    highlights = _paint_lines(local, size, ppu, "edge")
    edges = _edges(labels)
    groove = _blur((edges & inside).astype(np.float32), 1.2 * ppu)
    seams = np.clip(_paint_lines(local, size, ppu, "seam") * 0.6 + edges * 0.55, 0, 1)

    texture = fabric_texture(design.fabric, shape, ppu, rng)
    role_of = np.array(roles)
    rib = (role_of == "rib")[labels]
    texture[rib] = rib_texture(shape, ppu)[rib] * (0.5 + 0.5 * texture[rib])
    hard = np.isin(role_of, ("sole", "button", "metal"))[labels]
    texture[hard] = 1.0 + (texture[hard] - 1.0) * 0.2

    shade = (
        volume
        * light
        * wrinkles
        * piece_shade[labels]
        * (1 - 0.22 * folds)
        * (1 + 0.08 * highlights)
    )
    shade *= (1 - 0.12 * groove) * (1 - 0.3 * seams) * texture
    shade[~inside] = 1.0
    fabric = (role_of == "fabric") & printed
    amount = print_amount(design.print, shape, ppu, local.graphic_box) * fabric[labels]
    stitches = _paint_lines(local, size, ppu, "stitch") * inside
    stitched = np.nonzero(stitches)
    return ProductLayers(labels, roles, fabric, amount.astype(np.float32), shade.astype(np.float32),
                         stitched, stitches[stitched].astype(np.float32), ppu, (ss_h, ss_w), (y0, x0))  # fmt: skip
