"""Outlines of tops laid flat, front view: t-shirts and shirts, and the parts all tops share.

A top is a body panel, two sleeves set at the shoulders, and a neck (ribbing or a collar); the
helpers here (`torso`, `body_outline`, `add_sleeves`, `add_neck_opening`, ...) are reused by
knitwear and dresses. Units are centimetres; y = 0 at the neck's side points.
"""

from __future__ import annotations

import numpy as np

from skill.demo.geometry import Outline, Path, band, flip_x, lerp, mirror, offset, smooth

SLEEVES = {  # length from the armhole, angle below horizontal (degrees), cuff half-width factor
    "cap": (6.0, 22.0, 0.95),
    "short": (18.0, 34.0, 0.78),
    "elbow": (31.0, 52.0, 0.66),
    "long": (58.0, 74.0, 0.5),
    "none": (0.0, 0.0, 0.0),
}


def torso(s: dict, lengths=(47.0, 66.0, 76.0)):
    """Return the key measurements of a torso: chest half-width, shoulder point, underarm, length."""
    chest = {"slim": 23.0, "regular": 26.0, "oversized": 30.5}[s.get("fit", "regular")] * s["width"]
    length = dict(zip(("cropped", "regular", "long"), lengths, strict=True))[
        s.get("length", "regular")
    ]
    length *= s["height"]
    if s.get("fit") == "oversized":  # dropped shoulders
        shoulder, underarm = np.array([chest * 1.02, 6.5]), np.array([chest, 27.0])
    else:
        shoulder, underarm = np.array([chest * 0.84 + 1.0, 4.5]), np.array([chest, 22.5])
    return chest, shoulder, underarm, length


def body_outline(
    chest, shoulder, underarm, length, neck_width, hem_rise=1.0, waist=0.0
) -> np.ndarray:
    """Return the body panel: back neckline, shoulders, sides (taken in by `waist`), curved hem.

    `hem_rise` lifts the hem at the sides (a shirt's tails). Shape (n, 2).
    """
    hem_x = chest - waist * 0.3
    half = (
        Path((0.0, 1.6))
        .quad((neck_width * 0.7, 1.5), (neck_width, 0.0))
        .quad(lerp((neck_width, 0.0), shoulder, 0.5) + (0, -0.4), shoulder)
        .quad((underarm[0] - 1.0, (shoulder[1] + underarm[1]) / 2), underarm)
        .curve(
            (underarm[0] - waist, underarm[1] + 14),
            (hem_x, length - 16),
            (hem_x, length - hem_rise),
        )
        .curve((hem_x * 0.6, length - hem_rise * 0.2), (hem_x * 0.3, length), (0.0, length))
        .points()
    )
    return mirror(half)


def add_sleeves(out: Outline, shoulder, underarm, kind: str, s: dict, cuff: str = "", shade=0.96):
    """Add the right sleeve and its mirror image; `cuff` is "", "rib" or "fabric"."""
    length, angle, taper = SLEEVES[kind]
    if length == 0:
        return
    angle = np.radians(angle + (s["drape"] - 0.5) * 8)
    direction = np.array([np.cos(angle), np.sin(angle)])
    across = np.array([-direction[1], direction[0]])  # from the top edge to the bottom edge
    width = np.linalg.norm(shoulder - underarm) / 2
    centre = (shoulder + underarm) / 2 + direction * length * s["height"]
    top, bottom = centre - across * width * taper, centre + across * width * taper
    sleeve = (Path(shoulder).quad(lerp(shoulder, top, 0.35) - across * 1.0, top)
              .quad(centre + direction * 0.6, bottom)
              .quad(lerp(bottom, underarm, 0.5) + across * 0.5, underarm)
              .quad(lerp(underarm, shoulder, 0.5) - direction * 1.5, shoulder).points())  # fmt: skip
    pieces = [(sleeve, "fabric")]
    if cuff:
        depth = 6.0 if cuff == "fabric" else 5.0
        narrow = 0.9 if cuff == "rib" else 1.0
        pieces.append((np.array([top - direction * depth, bottom - direction * depth,
                                 centre + (bottom - centre) * narrow + direction * 0.6,
                                 centre + (top - centre) * narrow + direction * 0.6]), cuff))  # fmt: skip
    for pts, role in pieces:
        role = "fabric" if role != "rib" else "rib"
        for side in (pts, flip_x(pts)):
            out.add(side, role=role, printed=role == "fabric", shade=shade)
    lines = [(np.array([top, bottom]) - direction * 2.2, "stitch", 0.16)] if not cuff else []
    lines.append((smooth([lerp(shoulder, underarm, 0.45) + direction * 2,
                          centre - direction * length * 0.4 + across * width * 0.2,
                          centre - direction * 2 + across * width * 0.1]), "fold", 1.6))  # fmt: skip
    for pts, kind_, w in lines:
        for side in (pts, flip_x(pts)):
            out.mark(side, kind_, w)


def add_body_folds(out: Outline, chest, underarm, length, s: dict) -> None:
    """Soft creases a flat-laid top shows: from the underarms towards the middle, and at the hem."""
    sway = (s["drape"] - 0.5) * 6
    for side in (1, -1):
        crease = smooth([(side * (chest - 1.5), underarm[1] + 3), (side * chest * 0.55, underarm[1] + 9 + sway),
                         (side * chest * 0.2, underarm[1] + 16 + sway)])  # fmt: skip
        out.mark(crease, "fold", 2.2)
        out.mark(crease + (0, 1.6), "edge", 1.6)
    out.mark(
        smooth(
            [(-chest * 0.6, length - 9 - sway), (0, length - 7), (chest * 0.5, length - 10 + sway)]
        ),
        "fold",
        2.0,
    )


def add_neck_opening(out: Outline, neck_width, depth, style: str, rib: float) -> np.ndarray:
    """Add the inside of the back seen through the neck, and the neck ribbing; return the front curve."""
    back = Path((neck_width, 0.0)).quad((0.0, 1.8), (-neck_width, 0.0), n=16).points()
    if style == "v-neck":
        half = (
            Path((neck_width, 0.0))
            .quad((neck_width * 0.5, depth * 0.45), (0.0, depth), n=12)
            .points()
        )
    elif style == "square":
        half = (
            Path((neck_width, 0.0))
            .line((neck_width, depth - 2))
            .quad((neck_width, depth), (neck_width - 2, depth))
            .line((0.0, depth))
            .points()
        )
    else:
        half = (
            Path((neck_width, 0.0))
            .curve((neck_width, depth * 0.65), (neck_width * 0.55, depth), (0.0, depth), n=12)
            .points()
        )
    front = np.concatenate([half, flip_x(half[::-1])[1:]])
    out.add(np.concatenate([back, front[::-1]]), role="inside", printed=False)
    if rib > 0:
        out.add(band(back, rib * 0.8), role="rib", printed=False, shade=0.8)
        out.add(band(front, rib), role="rib", printed=False)
        out.mark(offset(front, rib + 0.15), "stitch", 0.16)
    return front


def add_patch_pocket(out: Outline, centre, width, height, pointed=False, flap=False) -> None:
    """Add a patch pocket whose top edge is centred at `centre`, optionally pointed or flapped."""
    x, y = centre
    w = width / 2
    if pointed:
        pts = [
            (x - w, y),
            (x + w, y),
            (x + w, y + height * 0.85),
            (x, y + height),
            (x - w, y + height * 0.85),
        ]
    else:
        pts = [(x - w, y), (x + w, y), (x + w, y + height), (x - w, y + height)]
    out.add(pts, shade=1.02)
    out.mark([(x - w + 0.3, y + 1.2), (x + w - 0.3, y + 1.2)], "stitch", 0.15)
    if flap:
        out.add(Path((x - w - 0.3, y - 0.6)).line((x + w + 0.3, y - 0.6), (x + w + 0.3, y + 2.6))
                .quad((x + w * 0.5, y + 4.2), (x, y + 4.4)).quad((x - w * 0.5, y + 4.2), (x - w - 0.3, y + 2.6))
                .points(), shade=1.05)  # fmt: skip


def add_buttons(out: Outline, x: float, y0: float, y1: float, n: int, radius: float = 0.65) -> None:
    """Add n buttons evenly from y0 to y1 at x."""
    for y in np.linspace(y0, y1, n):
        out.add([(x, y)], role="button", printed=False, width=radius)


def draw_tshirt(s: dict) -> Outline:
    """Outline of a t-shirt: fit, length, sleeve, neckline and chest pocket from the design."""
    out = Outline()
    nw = 8.0 * s["detail size"] ** 0.5
    chest, shoulder, underarm, length = torso(s)
    out.add(
        body_outline(
            chest, shoulder, underarm, length, nw, waist=2.0 if s["fit"] == "slim" else 0.0
        )
    )
    add_body_folds(out, chest, underarm, length, s)
    depth = {"crew": 7.0, "scoop": 12.0, "v-neck": 15.0}[s["neckline"]]
    add_neck_opening(out, nw, depth, s["neckline"], 1.6)
    add_sleeves(out, shoulder, underarm, s["sleeve"], s)
    out.mark([(-chest + 0.5, length - 2.2), (chest - 0.5, length - 2.2)], "stitch", 0.16)
    if s["pocket"] == "chest":
        add_patch_pocket(out, (chest * 0.45, 15.0), 10.0 * s["detail size"], 11.0)
    out.graphic_box = (0.0, 12.0 + depth * 0.4 + 7.0, chest * 1.35)
    return out


def _collar(out: Outline, nw: float, style: str, size: float) -> float:
    """Add a shirt collar; return the y where the button placket starts."""
    stand = Path((nw + 0.6, 0.6)).quad((0.0, -2.2), (-nw - 0.6, 0.6), n=16).points()
    out.add(
        np.concatenate([stand, offset(stand, -2.6)[::-1]]), printed=True, shade=0.9
    )  # back of the collar
    inner = Path((nw, 0.2)).curve((nw, 4.0), (2.0, 6.0), (0.0, 6.0)).points()
    out.add(mirror(inner), role="inside", printed=False)
    if style == "band":
        band_pts = Path((nw + 0.4, 0.0)).curve((nw + 0.6, 4.5), (2.5, 6.8), (0.3, 6.8)).points()
        out.add(np.concatenate([band_pts, offset(band_pts, 2.6)[::-1]]), shade=1.0)
        out.add(flip_x(np.concatenate([band_pts, offset(band_pts, 2.6)[::-1]])), shade=1.0)
        out.add([(0.0, 5.6)], role="button", printed=False, width=0.6)
        return 7.5
    spread = {"point": 1.0, "button-down": 0.9, "camp": 1.5}[style] * size
    drop = 8.0 if style == "camp" else 0.0
    tip = np.array([nw * 0.35 + 4.5 * spread, 10.5 + drop * 0.6])
    wing = (Path((0.4, 5.5 + drop)).line((0.8, 4.5 + drop))
            .curve((nw * 0.7, 1.0), (nw + 0.4, -1.2), (nw + 1.3, -0.6))
            .curve((nw + 2.6, 2.5), (tip[0] + 1.0, tip[1] - 4.0), tip)
            .line((1.2, 6.8 + drop)).points())  # fmt: skip
    for side in (wing, flip_x(wing)):
        out.add(side, shade=1.04)
        out.mark(offset(side[2:-1], 0.7), "stitch", 0.14)
    if style == "button-down":
        for x in (tip[0] - 1.2, -tip[0] + 1.2):
            out.add([(x, tip[1] - 1.8)], role="button", printed=False, width=0.4)
    return 7.0 + drop


def draw_shirt(s: dict) -> Outline:
    """Outline of a shirt: collar, button placket, cuffs, curved hem, chest pockets."""
    out = Outline()
    nw = 7.5 * s["detail size"] ** 0.5
    chest, shoulder, underarm, length = torso(s, lengths=(50.0, 72.0, 82.0))
    out.add(
        body_outline(
            chest,
            shoulder,
            underarm,
            length,
            nw,
            hem_rise=7.0,
            waist=2.5 if s["fit"] == "slim" else 0.5,
        )
    )
    add_body_folds(out, chest, underarm, length, s)
    placket = _collar(out, nw, s["collar"], s["detail size"])
    out.add(
        [(-1.6, placket), (1.6, placket), (1.6, length + 0.2), (-1.6, length + 0.2)], shade=1.03
    )
    for x in (-1.6, 1.6):
        out.mark([(x, placket), (x, length)], "seam", 0.12)
    add_buttons(out, 0.0, placket + 3.0, length - 6.0, max(4, int((length - placket) / 10)))
    add_sleeves(
        out, shoulder, underarm, s["sleeve"], s, cuff="fabric" if s["sleeve"] == "long" else ""
    )
    pockets = {"none": (), "one": (chest * 0.5,), "two": (chest * 0.5, -chest * 0.5)}[s["pocket"]]
    for x in pockets:
        add_patch_pocket(
            out, (x, 17.0), 10.5 * s["detail size"], 12.0, pointed=True, flap=s["pocket"] == "two"
        )
    out.graphic_box = (0.0, 24.0, chest * 1.3)
    return out
