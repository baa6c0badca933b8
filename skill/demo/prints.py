"""Print fills: where a print puts its second colour, as a field over the frame.

`print_amount` returns, per pixel, how much of the print's second colour shows (0: the
colourway, 1: the second colour, in between: a mix, e.g. gingham's overlaps). It depends on the
design only, never on the colourway, which is what keeps print geometry equal across colours.
Patterns are anchored at the product's centre so they sit symmetrically on it.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from skill.demo.design import Print


def _coverage(distance: np.ndarray, pixel: float) -> np.ndarray:
    """Anti-aliased coverage of a shape given a signed distance (negative inside), in units."""
    return np.clip(0.5 - distance / pixel, 0.0, 1.0)


def _bands(
    t: np.ndarray, period: float, duty: float, pixel: float, phase: float = 0.0
) -> np.ndarray:
    """Coverage of parallel bands of width duty * period, repeating every period along t."""
    offset_t = (t - phase) / period
    distance = np.abs(offset_t - np.round(offset_t)) * period - duty * period / 2
    return _coverage(distance, pixel)


def _dot_field(u, v, period, radius, pixel, stagger=True, jitter=0.0, seed=0):
    """Coverage of discs on a (staggered, optionally jittered) lattice."""
    row = np.floor(v / period)
    best = np.full(u.shape, np.inf, dtype=np.float32)
    for dr in (-1, 0, 1):
        r = row + dr
        shift = (r % 2) * 0.5 * period if stagger else 0.0
        col = np.round((u - shift) / period)
        for dc in (-1, 0, 1):
            c = col + dc
            cx, cy = c * period + shift, (r + 0.5) * period
            if jitter:
                h = np.sin(c * 12.9898 + r * 78.233 + seed) * 43758.5453
                cx = cx + (h - np.floor(h) - 0.5) * jitter * period
                h2 = np.sin(c * 39.3468 + r * 11.135 + seed) * 24634.6345
                cy = cy + (h2 - np.floor(h2) - 0.5) * jitter * period
            best = np.minimum(best, np.hypot(u - cx, v - cy) - radius)
    return _coverage(best, pixel)


def _motif_polygon(style: str, size: float) -> list[np.ndarray]:
    """Polygons of one motif of a given size, centred on the origin."""
    a = np.linspace(0, 2 * np.pi, 41)[:-1]
    if style == "star":
        r = np.where(np.arange(10) % 2 == 0, 0.5, 0.21) * size
        b = np.linspace(-np.pi / 2, 1.5 * np.pi, 11)[:-1]
        return [np.stack([r * np.cos(b), r * np.sin(b)], 1)]
    if style == "heart":
        x = 16 * np.sin(a) ** 3
        y = -(13 * np.cos(a) - 5 * np.cos(2 * a) - 2 * np.cos(3 * a) - np.cos(4 * a))
        return [np.stack([x, y + 2], 1) * size / 34]
    if style == "flower":
        petals = []
        for k in range(5):
            t = 2 * np.pi * k / 5
            cx, cy = np.cos(t) * size * 0.25, np.sin(t) * size * 0.25
            petals.append(np.stack([cx + np.cos(a) * size * 0.2, cy + np.sin(a) * size * 0.2], 1))
        return petals
    if style == "leaf":
        x = np.sin(a) * size * 0.22 * np.abs(np.sin(a)) ** 0.2
        return [np.stack([x, np.cos(a) * size * 0.5], 1)]
    return [np.array([(0, -0.5), (0.32, 0), (0, 0.5), (-0.32, 0)]) * size]


def _draw_motifs(prt: Print, shape, px_per_unit, origin) -> np.ndarray:
    """Repeat the motif on a staggered lattice; flowers get a half-tone centre."""
    h, w = shape
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    period = prt.scale * px_per_unit
    size = period * 0.62
    rng = np.random.default_rng(prt.seed)
    rows = int(h / period) + 3
    cols = int(w / period) + 3
    oy = origin[1] * px_per_unit % period - period
    ox = origin[0] * px_per_unit % period - period
    tilt = np.radians(prt.angle)
    for r in range(rows):
        for c in range(cols):
            cx = ox + c * period + (r % 2) * period / 2
            cy = oy + r * period
            turn = tilt + (rng.uniform(-0.5, 0.5) if prt.style in ("leaf", "heart") else 0.0)
            rot = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
            for poly in _motif_polygon(prt.style, size):
                pts = poly @ rot.T + (cx, cy)
                draw.polygon([tuple(p) for p in pts], fill=255)
            if prt.style == "flower":
                draw.ellipse(
                    [cx - size * 0.12, cy - size * 0.12, cx + size * 0.12, cy + size * 0.12],
                    fill=110,
                )
    return np.asarray(img, dtype=np.float32) / 255.0


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=max(size, 6))


def _draw_graphic(prt: Print, shape, px_per_unit, box) -> np.ndarray:
    """Draw a placed graphic centred in the product's graphic box."""
    h, w = shape
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    cx, cy = box[0] * px_per_unit, box[1] * px_per_unit
    width = box[2] * px_per_unit * prt.scale
    if prt.style == "chest-stripe":
        for k, frac in enumerate((0.0, 0.16, 0.26)):
            half = (0.07 if k == 0 else 0.025) * width
            y = cy - width * 0.15 + frac * width
            draw.rectangle([0, y - half, w, y + half], fill=255)
    elif prt.style in ("wordmark", "badge"):
        if prt.style == "badge":
            r = width * 0.42
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=255, width=max(1, int(r * 0.09)))
            draw.ellipse(
                [cx - r * 0.8, cy - r * 0.8, cx + r * 0.8, cy + r * 0.8],
                outline=150,
                width=max(1, int(r * 0.03)),
            )
            width = r * 1.3
        font = _font(int(width / max(len(prt.text), 4) * 1.6))
        left, top, right, bottom = draw.textbbox((0, 0), prt.text, font=font, stroke_width=1)
        scale = width / max(right - left, 1)
        font = _font(int(font.size * min(scale, 1.6)))
        draw.text(
            (cx, cy),
            prt.text,
            fill=255,
            font=font,
            anchor="mm",
            stroke_width=max(1, int(font.size * 0.05)),
            stroke_fill=255,
        )
    elif prt.style == "sun":
        r = width * 0.22
        for k in range(12):
            t = 2 * np.pi * k / 12
            tip = (cx + np.cos(t) * r * 2.0, cy + np.sin(t) * r * 2.0)
            left = (cx + np.cos(t + 0.16) * r * 1.25, cy + np.sin(t + 0.16) * r * 1.25)
            right = (cx + np.cos(t - 0.16) * r * 1.25, cy + np.sin(t - 0.16) * r * 1.25)
            draw.polygon([tip, left, right], fill=255)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    elif prt.style == "mountain":
        half = width / 2
        draw.ellipse(
            [cx + half * 0.2, cy - half * 0.75, cx + half * 0.6, cy - half * 0.35], fill=150
        )
        draw.polygon(
            [
                (cx - half, cy + half * 0.5),
                (cx - half * 0.25, cy - half * 0.55),
                (cx + half * 0.5, cy + half * 0.5),
            ],
            fill=255,
        )
        draw.polygon(
            [
                (cx - half * 0.1, cy + half * 0.5),
                (cx + half * 0.45, cy - half * 0.2),
                (cx + half, cy + half * 0.5),
            ],
            fill=200,
        )
        draw.rectangle([cx - half, cy + half * 0.55, cx + half, cy + half * 0.62], fill=255)
    else:  # wave
        xs = np.linspace(cx - width / 2, cx + width / 2, 60)
        for k in range(3):
            ys = cy + (k - 1) * width * 0.16 + np.sin((xs - cx) / width * 4 * np.pi) * width * 0.05
            draw.line(
                list(zip(xs, ys, strict=True)),
                fill=255,
                width=max(2, int(width * 0.06)),
                joint="curve",
            )
    return np.asarray(img, dtype=np.float32) / 255.0


def print_amount(prt: Print, shape: tuple[int, int], px_per_unit: float, box) -> np.ndarray:
    """Return where the print's second colour shows.

    Args:
        prt: The design's print.
        shape: (height, width) of the field in pixels.
        px_per_unit: Pixels per frame unit (the frame is 100 units wide).
        box: The product's graphic box (centre x, centre y, width) in frame units; patterns
            are anchored at its centre.

    Returns:
        Amount of the second colour in [0, 1]. Shape (height, width), float32.
    """
    h, w = shape
    if prt.kind == "solid":
        return np.zeros(shape, dtype=np.float32)
    if prt.kind == "motif":
        return _draw_motifs(prt, shape, px_per_unit, box[:2])
    if prt.kind == "graphic":
        return _draw_graphic(prt, shape, px_per_unit, box)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    x = (x + 0.5) / px_per_unit - box[0]
    y = (y + 0.5) / px_per_unit - box[1]
    a = np.radians(prt.angle)
    u, v = x * np.cos(a) + y * np.sin(a), -x * np.sin(a) + y * np.cos(a)
    pixel = 1.0 / px_per_unit
    p = prt.scale
    if prt.kind == "stripes":
        if prt.style == "multi":
            return np.maximum(_bands(v, p, 0.28, pixel), _bands(v, p, 0.07, pixel, phase=p / 2))
        duty = {"regular": 0.42, "breton": 0.33, "pinstripe": max(0.06, 0.3 / p)}[prt.style]
        return _bands(v, p, duty, pixel)
    if prt.kind == "checks":
        if prt.style == "gingham":
            return (_bands(u, p, 0.5, pixel) + _bands(v, p, 0.5, pixel)) / 2
        if prt.style == "windowpane":
            return np.maximum(_bands(u, p, 0.06, pixel), _bands(v, p, 0.06, pixel))
        if prt.style == "checkerboard":
            return np.abs(_bands(u, 2 * p, 0.5, pixel) - _bands(v, 2 * p, 0.5, pixel))
        broad = 0.4 * (_bands(u, p, 0.42, pixel) + _bands(v, p, 0.42, pixel))
        thin = np.maximum(_bands(u, p, 0.05, pixel, p / 2), _bands(v, p, 0.05, pixel, p / 2))
        return np.clip(broad + thin, 0.0, 1.0)
    if prt.kind == "dots":
        if prt.style == "scatter":
            return _dot_field(u, v, p, 0.18 * p, pixel, jitter=0.45, seed=prt.seed % 1000)
        radius = {"polka": 0.26, "pin": 0.14}[prt.style] * p
        return _dot_field(u, v, p, radius, pixel)
    raise ValueError(f"unknown print kind {prt.kind!r}")
