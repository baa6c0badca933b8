"""Outlines of accessories: a sneaker in side view (toe to the left) and bags, front view.

Units are centimetres. Sneaker: x from the toe (0) to the heel (about 28), y = 0 on the ground.
Bags: y = 0 at the top edge of the body, handles and straps above it.
"""

from __future__ import annotations

import numpy as np

from skill.demo.geometry import Outline, Path, band, ellipse, lerp, offset, rounded_rect, smooth

SOLE_HEIGHT = {"slim": 2.4, "regular": 3.4, "chunky": 5.6}


def draw_sneaker(s: dict) -> Outline:
    """Outline of a sneaker: style, profile (low/high), sole, side panel and laces."""
    out = Outline()
    h = SOLE_HEIGHT[s["sole"]]
    high = s["profile"] == "high"
    length = 28.0 * s["width"]
    top = -h  # top of the sole
    collar_h = (17.5 if high else 8.6) * s["height"]
    throat = 17.0 if not high else 16.0
    # The upper, drawn first so the sole overlaps its lower edge.
    upper = (Path((1.2, top + 0.6))
             .curve((0.1, top - 1.2), (1.5, top - 3.6), (5.5, top - 4.3))
             .curve((8.5, top - 4.8), (10.5, top - 6.6), (12.5, top - 8.4))
             .line((throat, top - collar_h - (0.5 if high else 1.8)))
             .curve((throat + 1.0, top - collar_h + 0.4), (throat + 2.5, top - collar_h + (0.8 if high else 1.3)), (throat + 4.5, top - collar_h + (0.3 if high else 1.1)))
             .curve((length - 4.0, top - collar_h - 0.4), (length - 0.8, top - collar_h - 0.8), (length - 0.3, top - collar_h + 0.6))
             .curve((length + 0.4, top - collar_h * 0.5), (length + 0.3, top - 1.5), (length - 0.2, top + 0.6))
             .points())  # fmt: skip
    tongue = (
        Path((12.2, top - 8.0))
        .line((14.0, top - collar_h - 2.2))
        .quad((15.6, top - collar_h - 3.2), (17.2, top - collar_h - 1.8))
        .line((16.8, top - collar_h + 1.0))
        .points()
    )
    out.add(tongue, shade=0.92, printed=False)
    out.add(upper)
    lining = (
        Path((throat + 0.3, top - collar_h - 0.6))
        .curve(
            (throat + 2.0, top - collar_h + 1.8),
            (length - 4.0, top - collar_h + 1.0),
            (length - 0.5, top - collar_h + 0.4),
        )
        .points()
    )
    out.add(band(lining, 1.1), role="inside", printed=False)
    out.mark(offset(upper[3:-3], -0.6), "stitch", 0.12)

    style, panel = s["style"], s["panel"]
    if style == "canvas":  # rubber toe cap
        cap = (
            Path((0.9, top + 0.5))
            .curve((0.0, top - 2.2), (1.6, top - 4.0), (4.8, top - 4.2))
            .quad((5.6, top - 2.0), (5.0, top + 0.5))
            .points()
        )
        out.add(cap, role="sole", printed=False)
    elif style in ("court", "chunky"):
        out.mark(Path((4.2, top)).quad((3.4, top - 4.5), (8.5, top - 6.4)).points(), "stitch", 0.13)
    if style == "runner":
        overlay = (
            Path((3.0, top))
            .curve((5.0, top - 3.0), (9.0, top - 4.0), (12.0, top - 7.0))
            .line((13.5, top - 6.0))
            .curve((10.0, top - 2.5), (7.0, top - 0.5), (6.5, top))
            .points()
        )
        out.add(overlay, role="contrast", printed=False, shade=1.02)
    heel = (
        Path((length - 5.5, top))
        .curve(
            (length - 5.0, top - collar_h * 0.5),
            (length - 3.5, top - collar_h + 0.3),
            (length - 1.2, top - collar_h - 0.5),
        )
        .line((length + 0.3, top - collar_h * 0.4))
        .line((length, top + 0.5))
        .points()
    )
    if panel == "heel" or style == "court":
        out.add(
            heel,
            role="contrast" if panel == "heel" else "fabric",
            printed=panel != "heel",
            shade=1.0,
        )
    if panel == "stripe":
        band_pts = np.array([(14.0, top - 6.5), (16.0, top - 7.5), (19.5, top), (16.5, top)])
        out.add(band_pts, role="contrast", printed=False)
    elif panel == "swoosh":
        swoosh = (
            Path((7.0, top - 2.0))
            .curve((11.0, top + 0.2), (19.0, top - 2.0), (25.0, top - 6.5))
            .curve((19.0, top - 4.0), (12.0, top - 3.5), (7.0, top - 2.0))
            .points()
        )
        out.add(swoosh, role="contrast", printed=False)
    elif panel == "three-stripes":
        for k in range(3):
            x = 13.0 + 2.0 * k
            out.add(
                [
                    (x, top - 7.0 + k * 0.3),
                    (x + 1.1, top - 7.4 + k * 0.3),
                    (x + 5.0, top - 0.2),
                    (x + 3.9, top - 0.2),
                ],
                role="contrast",
                printed=False,
            )
    if style == "court":
        for x, y in zip(
            np.linspace(6.5, 10.0, 4), np.linspace(top - 4.6, top - 5.6, 4), strict=True
        ):
            out.add([(x, y)], role="inside", printed=False, width=0.16)

    # Laces: eyelets along the throat, criss-crossed laces, and a bow.
    eyelets = [lerp((12.0, top - 7.6), (throat - 0.4, top - collar_h - (0.2 if high else 1.4)), t)
               for t in np.linspace(0.0, 1.0, 9 if high else 5)]  # fmt: skip
    along = (eyelets[-1] - eyelets[0]) / np.linalg.norm(eyelets[-1] - eyelets[0])
    across = np.array([along[1], -along[0]])  # towards the top of the foot
    for e in eyelets[1:]:
        out.add(
            [e - along * 0.5, e + across * 1.6 + along * 0.6],
            role="lace",
            printed=False,
            width=0.55,
        )
    for e in eyelets:
        out.add([e], role="metal" if high else "inside", printed=False, width=0.38)
    bow = eyelets[-1] + across * 1.0
    for loop in ((-3.2, -0.2), (-2.4, 1.2)):
        out.add(
            smooth([bow, bow + (loop[0] * 0.5, loop[1] - 1.0), bow + loop]),
            role="lace",
            printed=False,
            width=0.5,
        )

    # The sole: outsole with a toe spring, the midsole line, and a darker tread.
    rise = h * 0.45
    sole = (
        Path((2.0, -0.5))
        .quad((0.3, -0.3), (0.2, top + rise * 0.3))
        .quad((0.2, top + 0.2), (1.2, top + 0.1))
    )
    if s["sole"] == "chunky":
        sole.curve((8.0, top - 1.4), (16.0, top + 1.4), (length - 0.5, top - 0.3), n=24)
    else:
        sole.line((length - 0.5, top + 0.1))
    sole = (sole.quad((length + 0.6, top), (length + 0.5, -h * 0.4)).quad((length + 0.4, 0.0), (length - 1.0, 0.0))
            .line((4.0, 0.0)).quad((2.8, 0.0), (2.0, -0.5)).points())  # fmt: skip
    out.add(sole, role="sole", printed=False)
    out.add(
        np.array([(2.6, -0.9), (length - 0.4, -0.9), (length - 1.0, 0.0), (3.8, 0.0)]),
        role="sole",
        printed=False,
        shade=0.82,
    )
    out.mark(
        smooth(
            [(1.0, top + h * 0.55), (length * 0.5, top + h * 0.6), (length + 0.3, top + h * 0.5)]
        ),
        "seam",
        0.16,
    )
    out.graphic_box = (length * 0.45, top - 3.0, 12.0)
    return out


def _bag_body(shape: str, w: float, h: float) -> np.ndarray:
    if shape == "trapezoid":
        return (
            Path((-w * 0.42, 0.0))
            .line((w * 0.42, 0.0))
            .line((w * 0.5 - 0.5, h - 1.0))
            .quad((w * 0.5, h), (w * 0.5 - 1.5, h))
            .line((-w * 0.5 + 1.5, h))
            .quad((-w * 0.5, h), (-w * 0.5 + 0.5, h - 1.0))
            .points()
        )
    radius = 7.0 if shape == "rounded" else 1.5
    return rounded_rect(-w / 2, 0.0, w / 2, h, radius)


def draw_bag(s: dict) -> Outline:
    """Outline of a bag: style (tote, shoulder, crossbody, backpack), body shape, strap, closure."""
    out = Outline()
    style = s["style"]
    w, h = {
        "tote": (36.0, 34.0),
        "shoulder": (28.0, 18.0),
        "crossbody": (21.0, 15.0),
        "backpack": (29.0, 38.0),
    }[style]
    w, h = w * s["width"], h * s["height"]
    body = _bag_body(s["shape"] if style != "backpack" else "rounded", w, h)
    if style == "backpack":
        body = (
            Path((-w / 2, h - 3.0))
            .line((-w / 2, 9.0))
            .curve((-w / 2, -2.0), (w / 2, -2.0), (w / 2, 9.0))
            .line((w / 2, h - 3.0))
            .quad((w / 2, h), (w / 2 - 3.0, h))
            .line((-w / 2 + 3.0, h))
            .quad((-w / 2, h), (-w / 2, h - 3.0))
            .points()
        )
        for side in (1, -1):
            out.add(
                [
                    (side * (w / 2 - 4.0), 6.0),
                    (side * (w / 2 + 1.8), 14.0),
                    (side * (w / 2 + 2.2), h - 6.0),
                ],
                role="strap",
                printed=False,
                width=3.2,
                shade=0.8,
            )
        out.add(ellipse((0.0, 0.5), 4.0, 4.0, 20, 180, 360), role="strap", printed=False, width=1.4)
    elif style == "tote":
        for dx, shade in ((1.5, 0.8), (0.0, 1.0)):
            handle = (
                Path((-w * 0.23 + dx, 1.0))
                .curve(
                    (-w * 0.25 + dx, -h * 0.75),
                    (w * 0.25 + dx, -h * 0.75),
                    (w * 0.23 + dx, 1.0),
                    n=24,
                )
                .points()
            )
            out.add(handle, role="strap", printed=False, width=2.4, shade=shade)
    elif style == "shoulder":
        strap = (
            Path((-w * 0.42, 1.0))
            .curve((-w * 0.4, -h * 1.3), (w * 0.4, -h * 1.3), (w * 0.42, 1.0), n=24)
            .points()
        )
        out.add(strap, role="strap", printed=False, width=2.2)
    else:
        for side in (1, -1):
            out.add(
                [(side * (w / 2 - 1.2), 1.0), (0.0, -h * 2.4)],
                role="strap",
                printed=False,
                width=1.2,
            )
    out.add(body, shade=1.0)
    out.mark(offset(body, 0.8), "stitch", 0.14)
    for side in (1, -1):  # the gusset's soft shadow at both sides
        out.mark([(side * (w / 2 - 2.0), 2.0), (side * (w / 2 - 2.2), h - 2.0)], "fold", 2.8)
    out.mark([(-w * 0.3, h * 0.15), (w * 0.3, h * 0.2)], "edge", 3.0)
    if style in ("shoulder", "crossbody"):
        for side in (1, -1):
            out.add([(side * (w / 2 - 1.2), 0.5)], role="metal", printed=False, width=0.9)
    if style == "backpack":
        pocket = rounded_rect(-w * 0.36, h * 0.5, w * 0.36, h - 2.5, 4.0)
        out.add(pocket, shade=1.04)
        out.mark([(-w * 0.32, h * 0.5 + 1.5), (w * 0.32, h * 0.5 + 1.5)], "seam", 0.3)
        out.add(
            [(w * 0.2, h * 0.5 + 1.5), (w * 0.2, h * 0.5 + 4.5)],
            role="metal",
            printed=False,
            width=0.7,
        )
        out.mark(
            Path((-w / 2 + 2.0, 9.0))
            .curve((-w / 2 + 2.0, 0.5), (w / 2 - 2.0, 0.5), (w / 2 - 2.0, 9.0))
            .points(),
            "seam",
            0.3,
        )
    elif s["closure"] == "flap":
        flap_h = h * (0.62 if style != "tote" else 0.35)
        flap = (
            Path((-w / 2 + 0.2, -0.3))
            .line((w / 2 - 0.2, -0.3))
            .line((w / 2 - 0.2, flap_h * 0.6))
            .quad((w * 0.3, flap_h), (0.0, flap_h))
            .quad((-w * 0.3, flap_h), (-w / 2 + 0.2, flap_h * 0.6))
            .points()
        )
        out.add(flap, shade=1.05)
        out.mark(offset(flap, 0.7), "stitch", 0.13)
        out.add(
            rounded_rect(-1.4, flap_h - 1.8, 1.4, flap_h + 0.6, 0.6), role="metal", printed=False
        )
    elif s["closure"] == "zip":
        out.add([(-w * 0.42, 1.2), (w * 0.42, 1.2)], role="inside", printed=False, width=0.6)
        out.add(rounded_rect(w * 0.3, 0.6, w * 0.3 + 1.2, 4.2, 0.4), role="metal", printed=False)
    else:
        out.mark([(-w / 2 + 0.6, 2.5), (w / 2 - 0.6, 2.5)], "stitch", 0.14)
    out.graphic_box = (0.0, h * (0.62 if s["closure"] != "flap" else 0.8), w * 0.75)
    return out
