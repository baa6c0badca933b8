"""Outline of a dress laid flat, front view: bodice, neckline, sleeves or straps, skirt, waist.

Units are centimetres; y = 0 at the neck's side points (the top of the straps for strappy dresses).
"""

from __future__ import annotations

import numpy as np

from skill.demo.geometry import Outline, Path, flip_x, mirror, offset, smooth
from skill.demo.tops import add_neck_opening, add_sleeves

LENGTHS = {"mini": 82.0, "knee": 98.0, "midi": 116.0, "maxi": 136.0}
HEM_HALF_WIDTH = {"shift": 23.0, "a-line": 27.0, "fit-and-flare": 30.0, "slip": 24.0}
WAIST_Y = 37.0


def _hem(half_width: float, length: float, wavy: bool, drape: float) -> np.ndarray:
    """Right half of the hem, from the side seam to the centre front."""
    if not wavy:
        return (
            Path((half_width, length - 2.0))
            .quad((half_width * 0.5, length + 0.6), (0.0, length + 0.8))
            .points()
        )
    x = np.linspace(half_width, 0.0, 40)
    y = (
        length
        - 1.5
        + 1.6 * np.sin(x / half_width * np.pi * (3.0 + drape))
        + 1.5 * (1 - x / half_width)
    )
    return np.stack([x, y], axis=1)


def draw_dress(s: dict) -> Outline:
    """Outline of a dress: length, silhouette, sleeve, neckline and waist detail from the design."""
    out = Outline()
    nw = 7.5 * s["detail size"] ** 0.5
    bust, waist = 18.5 * s["width"], 15.5 * s["width"]
    length = LENGTHS[s["length"]] * s["height"]
    hem_w = HEM_HALF_WIDTH[s["silhouette"]] * s["width"] + (length - 80.0) * {
        "shift": 0.02, "a-line": 0.14, "fit-and-flare": 0.22, "slip": 0.06}[s["silhouette"]]  # fmt: skip
    if s["silhouette"] == "shift":
        waist = bust - 1.0
    strap = s["sleeve"] == "strap"
    top_y = 11.0 if strap else 0.0
    shoulder = np.array([nw + (4.0 if s["sleeve"] == "sleeveless" else 6.5), 3.0])
    underarm = np.array([bust, 17.0])
    half = Path((0.0, top_y + (1.0 if strap else 1.6)))
    if strap:
        half.quad((bust * 0.5, top_y - 1.5), (bust - 0.5, top_y + 3.0))
    else:
        half.quad((nw * 0.7, 1.5), (nw, 0.0)).line(shoulder)
        if s["sleeve"] == "sleeveless":
            half.curve((shoulder[0] - 0.5, 9.0), (bust - 3.0, 15.0), underarm)
        else:
            half.quad((bust - 0.8, 10.0), underarm)
    half.curve((bust - 1.0, 24.0), (waist, WAIST_Y - 8.0), (waist, WAIST_Y))
    flare = 6.0 if s["silhouette"] in ("a-line", "slip") else 3.0
    half.curve((waist + 1.0, WAIST_Y + 8.0), (hem_w - flare, length - 30.0), (hem_w, length - 2.0))
    hem = _hem(hem_w, length, s["silhouette"] == "fit-and-flare", s["drape"])
    out.add(mirror(np.concatenate([half.points(), hem[1:]])))

    if strap:
        for side in (1, -1):
            out.add(
                [(side * 6.5, top_y + 0.5), (side * 8.5, -2.0)],
                role="fabric",
                printed=False,
                width=0.8,
            )
        out.mark(
            offset(
                Path((bust - 0.5, top_y + 3.0))
                .quad((0, top_y - 0.5), (-bust + 0.5, top_y + 3.0))
                .points(),
                -0.8,
            ),
            "stitch",
            0.14,
        )
        out.graphic_box = (0.0, 24.0, bust * 1.3)
    else:
        depth = {"crew": 7.0, "v-neck": 16.0, "square": 11.0}[s["neckline"]]
        front = add_neck_opening(out, nw, depth, s["neckline"], 0.0)
        out.mark(offset(front, 0.8), "stitch", 0.14)
        kind = {"sleeveless": "none", "short": "short", "long": "long"}[s["sleeve"]]
        add_sleeves(out, shoulder, underarm, kind, s | {"height": 1.0}, cuff="", shade=0.96)
        out.graphic_box = (0.0, 22.0 + depth * 0.3, bust * 1.2)

    # Folds falling from the waist to the hem, more of them the fuller the skirt.
    n_folds = {"shift": 2, "slip": 3, "a-line": 4, "fit-and-flare": 6}[s["silhouette"]]
    for k in range(n_folds):
        t = (k + 0.5) / n_folds * 2 - 1
        fold = smooth([(t * waist * 0.8, WAIST_Y + 6.0), (t * hem_w * 0.55, (WAIST_Y + length) / 2),
                       (t * hem_w * 0.85, length - 4.0)])  # fmt: skip
        out.mark(fold, "fold", 2.4)
        out.mark(fold + (1.8, 0.0), "edge", 1.6)
    out.mark(smooth([(-bust * 0.6, 22.0), (0.0, 26.0), (bust * 0.6, 22.0)]), "fold", 2.0)
    if s["waist"] in ("seam", "tie-belt"):
        seam = Path((waist, WAIST_Y)).quad((0.0, WAIST_Y + 1.5), (-waist, WAIST_Y)).points()
        out.mark(seam, "seam", 0.25)
    if s["waist"] == "tie-belt":
        belt = (
            Path((waist + 0.4, WAIST_Y - 2.0))
            .quad((0.0, WAIST_Y - 0.5), (-waist - 0.4, WAIST_Y - 2.0))
            .points()
        )
        out.add(np.concatenate([belt, offset(belt, -3.6)[::-1]]), shade=1.04)
        for dx, end in ((1.0, (6.0, WAIST_Y + 24.0)), (-1.5, (-3.0, WAIST_Y + 22.0))):
            tie = smooth([(dx, WAIST_Y + 1.0), ((dx + end[0]) / 2 + 1.0, WAIST_Y + 10.0), end])
            out.add(tie, width=2.4, shade=0.98)
        out.add([(0.0, WAIST_Y + 1.2)], width=1.6, shade=1.05)
    if s["silhouette"] == "slip":
        out.mark(flip_x([(bust - 1.0, top_y + 3.5), (waist, WAIST_Y)]), "fold", 1.5)
    return out
