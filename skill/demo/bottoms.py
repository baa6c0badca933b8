"""Outlines of bottoms laid flat, front view: trousers, shorts and skirts.

Trousers and shorts share one construction (`_legwear`): a waistband, two legs meeting at the
crotch, and style details (jeans pockets and rivets, chino slant pockets, cargo pockets, jogger
cuffs). Units are centimetres; y = 0 at the top of the waistband.
"""

from __future__ import annotations

import numpy as np

from skill.demo.geometry import Outline, Path, band, flip_x, mirror, offset, smooth

LEG_FIT = {  # half-widths of one leg: at the knee, at the hem
    "skinny": (7.0, 5.5),
    "slim": (8.5, 7.5),
    "straight": (10.0, 10.0),
    "regular": (10.5, 11.5),
    "wide": (13.0, 15.5),
    "flared": (8.5, 14.5),
}


def _legwear(s: dict, inseam: float, knee: float, hem: float, style: str) -> Outline:
    """Two legs below a waistband; `style` picks the pockets and trims."""
    out = Outline()
    waist, hip, rise = 19.0 * s["width"], 21.5 * s["width"], 27.0
    length = rise + inseam * s["height"]
    short = inseam < 30
    # Where the inner leg seam meets the hem: a gap between the legs, wider on shorts.
    inner_hem = (0.8 + 1.5 * s["drape"] + inseam * 0.12) if short else (1.0 + 2.5 * s["drape"])
    centre_hem = inner_hem + hem
    centre_knee = (hip / 2 + centre_hem) / 2
    knee_y = rise + min(inseam * 0.45, 34.0)
    if short:
        outer = smooth([(waist, 0.0), (hip, 16.0), (centre_hem + hem, length)], 8)
        inner = smooth([(inner_hem, length), (1.0 + inner_hem * 0.3, rise + 1.5)], 4)
    else:
        outer = smooth(
            [(waist, 0.0), (hip, 16.0), (centre_knee + knee, knee_y), (centre_hem + hem, length)], 8
        )
        inner = smooth([(inner_hem, length), (centre_knee - knee, knee_y), (1.2, rise + 2.0)], 8)
    crotch = Path(inner[-1]).quad((0.3, rise), (0.0, rise - 1.0)).points()[1:]
    right = np.concatenate([[(0.0, 0.0)], outer, inner, crotch])
    out.add(mirror(right))
    waist_band = Path((waist + 0.2, 0.0)).quad((0.0, 0.6), (-waist - 0.2, 0.0), n=14).points()
    elastic = style in ("joggers", "sweat")
    depth = 5.0 if elastic else 4.0
    out.add(
        band(waist_band, -depth),
        role="rib" if elastic else "fabric",
        printed=not elastic,
        shade=1.03,
    )
    out.mark(offset(waist_band, -depth - 0.3), "stitch", 0.15)

    crease = smooth(
        [(3.0, rise - 3.0), (6.0, rise + 3.0), (centre_knee - 2.0, min(knee_y - 6.0, length - 2.0))]
    )
    for side in (1, -1):  # creases from the crotch, and along the legs
        out.mark(crease if side > 0 else flip_x(crease), "fold", 2.0)
        leg = smooth(
            [
                (side * hip / 2, rise - 4.0),
                (side * centre_knee, knee_y),
                (side * centre_hem, length - 4.0),
            ]
        )
        if style == "tailored":
            out.mark(leg, "seam", 0.2)
        out.mark(leg + (side * 1.5, 0), "fold", 1.8)
        out.mark(leg - (side * 1.0, 0), "edge", 1.4)

    if style in ("joggers", "sweat"):
        for x in np.linspace(-waist + 1.5, waist - 1.5, 14):
            out.mark([(x, 0.8), (x + 0.2, depth - 0.6)], "fold", 0.35)
        for side in (1, -1):
            cord = smooth(
                [(side * 2.0, depth - 1.0), (side * 3.5, depth + 4.0), (side * 4.5, depth + 9.0)]
            )
            out.add(cord, role="lace", printed=False, width=0.7)
            out.mark(
                [(side * (waist - 5.0), depth + 0.5), (side * (hip - 0.2), depth + 12.0)],
                "seam",
                0.25,
            )
    else:
        for x in (waist - 3.0, waist * 0.35, -waist * 0.35, -waist + 3.0):
            out.add(
                [(x - 0.6, -0.4), (x + 0.6, -0.4), (x + 0.6, depth + 0.6), (x - 0.6, depth + 0.6)],
                shade=1.06,
            )
        out.add(
            [(-0.2, depth / 2)],
            role="metal" if style in ("jeans", "denim") else "button",
            printed=False,
            width=0.8,
        )
        fly = (
            Path((-3.2, depth))
            .line((-3.2, rise - 9.0))
            .quad((-3.2, rise - 5.5), (0.0, rise - 4.0))
            .points()
        )
        out.mark(fly, "stitch" if style in ("jeans", "denim") else "seam", 0.18)
        for side in (1, -1):
            if style in ("jeans", "denim"):
                scoop = (
                    Path((waist - 8.5, depth))
                    .curve((waist - 7.5, depth + 6.0), (hip - 4.0, 10.0), (hip - 0.3, 11.5))
                    .points()
                )
                out.mark(scoop * (side, 1), "seam", 0.22)
                out.mark(offset(scoop, -0.7) * (side, 1), "stitch", 0.16)
                out.add([(side * (hip - 1.2), 11.0)], role="metal", printed=False, width=0.35)
                if side > 0:
                    out.mark(
                        [
                            (waist - 6.5, depth + 1.0),
                            (waist - 6.5, depth + 5.0),
                            (waist - 2.5, depth + 5.3),
                        ],
                        "stitch",
                        0.14,
                    )
            else:
                out.mark([(side * (waist - 5.0), depth), (side * (hip - 0.2), 15.0)], "seam", 0.25)
    if style == "tailored":
        for side in (1, -1):
            out.mark(
                [(side * waist * 0.45, depth), (side * waist * 0.47, depth + 7.0)], "seam", 0.2
            )
    if style == "cargo":
        for side in (1, -1):
            x, y = side * (centre_knee + knee * 0.35), rise + 3.0
            w, h = 5.5, min(15.0, inseam * 0.6)
            out.add([(x - w, y), (x + w, y), (x + w, y + h), (x - w, y + h)], shade=1.03)
            out.add(
                [
                    (x - w - 0.3, y - 0.5),
                    (x + w + 0.3, y - 0.5),
                    (x + w + 0.3, y + 3.5),
                    (x - w - 0.3, y + 3.5),
                ],
                shade=1.06,
            )
    if style == "joggers":
        for side in (1, -1):
            cuff = np.array([(centre_hem - hem, length - 6.0), (centre_hem + hem, length - 6.0),
                             (centre_hem + hem - 0.8, length), (centre_hem - hem + 0.8, length)])  # fmt: skip
            out.add(cuff if side > 0 else flip_x(cuff), role="rib", printed=False)
    elif s.get("turn-ups") == "yes":
        for side in (1, -1):
            cuff = np.array([(centre_hem - hem - 0.3, length - 4.5), (centre_hem + hem + 0.3, length - 4.5),
                             (centre_hem + hem + 0.3, length), (centre_hem - hem - 0.3, length)])  # fmt: skip
            out.add(cuff if side > 0 else flip_x(cuff), shade=0.96)
    else:
        for side in (1, -1):
            hem_line = np.array(
                [(centre_hem - hem + 0.4, length - 2.2), (centre_hem + hem - 0.4, length - 2.2)]
            )
            out.mark(hem_line if side > 0 else flip_x(hem_line), "stitch", 0.15)
    out.graphic_box = (0.0, rise, waist * 1.6)
    return out


def draw_trousers(s: dict) -> Outline:
    """Outline of trousers: style (jeans, chino, tailored, joggers, cargo), fit, length, turn-ups."""
    knee, hem = LEG_FIT[s["fit"]]
    if s["style"] == "joggers":
        hem = min(hem, 6.0)
    inseam = 78.0 if s["length"] == "full" else 64.0
    return _legwear(s, inseam, knee, hem, s["style"])


def draw_shorts(s: dict) -> Outline:
    """Outline of shorts: style (chino, denim, sweat, cargo), leg length and fit."""
    inseam = {"short": 6.0, "mid": 14.0, "bermuda": 24.0}[s["length"]]
    hem = {"slim": 9.5, "regular": 10.5, "wide": 12.5}[s["fit"]] + inseam * 0.05
    return _legwear(s, inseam, hem - 0.5, hem, s["style"])


def draw_skirt(s: dict) -> Outline:
    """Outline of a skirt: silhouette (pencil, A-line, pleated, flared), length, waistband, details."""
    out = Outline()
    waist, hip = 17.5 * s["width"], 21.5 * s["width"]
    length = {"mini": 40.0, "knee": 60.0, "midi": 78.0, "maxi": 96.0}[s["length"]] * s["height"]
    hem = {"pencil": hip - 1.0, "a-line": hip + 0.2 * length, "pleated": hip + 0.22 * length,
           "flared": hip + 0.32 * length}[s["silhouette"]]  # fmt: skip
    side = (
        smooth([(waist, 0.0), (hip, 17.0), (hem, length)], 10)
        if s["silhouette"] == "pencil"
        else Path((waist, 0.0))
        .curve((waist + 2.5, 8.0), (hem - (hem - hip) * 0.6, length * 0.5), (hem, length))
        .points()
    )
    if s["silhouette"] in ("flared", "pleated"):
        x = np.linspace(hem, 0.0, 60)
        amp, waves = (1.6, 4.5) if s["silhouette"] == "flared" else (0.6, 9.0)
        y = length + 0.8 + amp * np.sin(x / hem * np.pi * (waves + s["drape"]))
        hem_pts = np.stack([x, y], axis=1)
    else:
        hem_pts = Path((hem, length)).quad((hem * 0.5, length + 1.2), (0.0, length + 1.3)).points()
    out.add(mirror(np.concatenate([[(0.0, 0.0)], side, hem_pts[1:]])))
    height = {"narrow": 3.5, "wide": 7.0, "elastic": 4.5}[s["waistband"]]
    top = Path((waist + 0.3, 0.0)).quad((0.0, 0.5), (-waist - 0.3, 0.0), n=14).points()
    elastic = s["waistband"] == "elastic"
    out.add(
        band(top, -height), role="rib" if elastic else "fabric", printed=not elastic, shade=1.03
    )
    if elastic:
        for x in np.linspace(-waist + 1.0, waist - 1.0, 16):
            out.mark([(x, 0.8), (x + 0.2, height - 0.6)], "fold", 0.35)
    n_folds = {"pencil": 2, "a-line": 4, "pleated": 12, "flared": 7}[s["silhouette"]]
    for k in range(n_folds):
        t = (k + 0.5) / n_folds * 2 - 1
        fold = np.array([(t * waist * 0.9, height + 1.0), (t * hem * 0.92, length - 1.0)])
        if s["silhouette"] == "pleated":
            out.mark(fold, "seam", 0.2)
            out.mark(fold + (1.2, 0.0), "fold", 1.8)
        else:
            out.mark(smooth([fold[0], (fold[0] + fold[1]) / 2 + (0.8, 0), fold[1]]), "fold", 2.6)
            out.mark(fold + (2.2, 0.0), "edge", 1.6)
    if s["detail"] == "buttons":
        for y in np.linspace(height + 3.0, length - 5.0, max(3, int(length / 10))):
            out.add([(0.0, y)], role="button", printed=False, width=0.7)
        out.mark([(1.6, height), (1.6, length)], "seam", 0.2)
    elif s["detail"] == "slit":
        slit = min(20.0, length * 0.35)
        out.add(
            [(0.0, length - slit), (1.2, length + 1.4), (-1.2, length + 1.4)],
            role="inside",
            printed=False,
        )
        out.mark([(0.0, height + 2.0), (0.0, length - slit)], "seam", 0.2)
    elif s["detail"] == "pockets":
        for sgn in (1, -1):
            out.mark([(sgn * (waist - 5.0), height), (sgn * (hip - 0.4), 15.0)], "seam", 0.25)
    else:
        out.add([(waist - 1.5, height / 2)], role="button", printed=False, width=0.6)
    out.graphic_box = (0.0, length * 0.5, hip * 1.4)
    return out
