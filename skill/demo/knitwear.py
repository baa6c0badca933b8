"""Outlines of knitwear laid flat, front view: jumpers, cardigans and hoodies.

Built on the tops' torso and sleeves (`skill.demo.tops`), with ribbed cuffs and hems, turtle and
mock necks, hoods, drawstrings, kangaroo pockets and zips. Units are centimetres; y = 0 at the
neck's side points.
"""

from __future__ import annotations

import numpy as np

from skill.demo.geometry import Outline, Path, mirror, offset, rounded_rect, smooth
from skill.demo.tops import (
    add_body_folds,
    add_buttons,
    add_neck_opening,
    add_sleeves,
    body_outline,
    torso,
)


def draw_sweater(s: dict) -> Outline:
    """Outline of a jumper or cardigan: ribbed neck, cuffs and hem; turtle or mock necks."""
    out = Outline()
    nw = 8.0 * s["detail size"] ** 0.5
    chest, shoulder, underarm, length = torso(s, lengths=(46.0, 64.0, 74.0))
    neck = s["neckline"] if s["closure"] != "cardigan" else "v-neck"
    if neck in ("turtle", "mock"):
        tall = 9.0 if neck == "turtle" else 4.5
        tube = rounded_tube(nw + 1.0, -tall, 3.0)
        out.add(tube, role="rib", printed=False, shade=0.94)
    out.add(body_outline(chest, shoulder, underarm, length, nw, hem_rise=0.3))
    add_body_folds(out, chest, underarm, length, s)
    hem = np.array(
        [
            (-chest + 0.2, length - 6.0),
            (chest - 0.2, length - 6.0),
            (chest - 1.0, length),
            (-chest + 1.0, length),
        ]
    )
    out.add(hem, role="rib", printed=False)
    if neck in ("turtle", "mock"):
        front = Path((nw + 1.0, 0.5)).quad((0.0, 4.5), (-nw - 1.0, 0.5), n=16).points()
        out.add(np.concatenate([front, offset(front, -3.5)[::-1]]), role="rib", printed=False)
        if neck == "turtle":
            out.mark(
                Path((nw + 1.0, -3.0)).quad((0.0, 0.5), (-nw - 1.0, -3.0)).points(), "fold", 1.4
            )
    else:
        depth = {"crew": 6.5, "v-neck": 16.0 if s["closure"] != "cardigan" else 24.0}[neck]
        add_neck_opening(out, nw, depth, neck, 2.6)
        if s["closure"] == "cardigan":
            out.add(
                [(-1.8, depth - 1.0), (1.8, depth - 1.0), (1.8, length), (-1.8, length)],
                role="rib",
                printed=False,
            )
            add_buttons(out, 0.0, depth + 2.0, length - 4.0, 5, 0.75)
    add_sleeves(out, shoulder, underarm, "long", s, cuff="rib")
    out.graphic_box = (
        (0.0, 25.0, chest * 1.3) if s["closure"] != "cardigan" else (chest * 0.5, 30.0, chest * 0.5)
    )
    return out


def rounded_tube(half_width: float, top: float, radius: float) -> np.ndarray:
    """Polygon of an upright tube (a turtleneck) from y = top down to y = 2."""
    return (Path((half_width, 2.0)).line((half_width, top + radius))
            .quad((half_width, top), (half_width - radius, top)).line((-half_width + radius, top))
            .quad((-half_width, top), (-half_width, top + radius)).line((-half_width, 2.0)).points())  # fmt: skip


def draw_hoodie(s: dict) -> Outline:
    """Outline of a hoodie: hood, drawstrings, kangaroo or side pockets, zip, ribbed cuffs and hem."""
    out = Outline()
    nw = 8.5 * s["detail size"] ** 0.5
    chest, shoulder, underarm, length = torso(s, lengths=(50.0, 68.0, 76.0))
    hood = (Path((nw + 4.5, 4.0)).curve((nw + 7.5, -5.0), (nw + 6.0, -15.0), (0.0, -16.0))
            .curve((-nw - 6.0, -15.0), (-nw - 7.5, -5.0), (-nw - 4.5, 4.0)).points())  # fmt: skip
    out.add(hood, shade=0.9)
    opening = (
        Path((nw - 0.5, 3.0)).curve((nw + 1.5, -5.0), (nw - 1.0, -12.0), (0.0, -12.5)).points()
    )
    out.add(mirror(opening), role="inside", printed=False)
    out.mark(offset(mirror(opening), 1.2), "stitch", 0.16)
    out.add(body_outline(chest, shoulder, underarm, length, nw, hem_rise=0.3))
    add_body_folds(out, chest, underarm, length, s)
    front = Path((nw + 0.8, 0.0)).curve((nw, 7.0), (3.0, 9.5), (0.0, 10.0)).points()
    out.add(mirror(front)[: len(front) * 2], role="fabric", shade=0.86)
    out.mark(mirror(front), "seam", 0.18)
    hem = np.array(
        [
            (-chest + 0.2, length - 7.0),
            (chest - 0.2, length - 7.0),
            (chest - 1.2, length),
            (-chest + 1.2, length),
        ]
    )
    out.add(hem, role="rib", printed=False)
    if s["closure"] == "zip":
        out.add([(0.0, 9.5), (0.0, length)], role="metal", printed=False, width=0.7)
        out.add(rounded_rect(-0.9, 10.0, 0.9, 14.0, 0.5), role="metal", printed=False)
    pocket_top = length - 27.0 * s["height"]
    if s["pocket"] == "kangaroo":
        w0, w1 = chest * 0.55, chest * 0.78
        pts = [(-w0, pocket_top), (w0, pocket_top), (w1, length - 9.0), (-w1, length - 9.0)]
        out.add(pts, shade=1.03)
        for side in (1, -1):
            out.mark(
                [(side * w0, pocket_top + 0.6), (side * (w1 - 0.2), length - 13.0)], "stitch", 0.16
            )
        if s["closure"] == "zip":
            out.pieces.pop()
    if s["pocket"] == "side" or (s["pocket"] == "kangaroo" and s["closure"] == "zip"):
        for side in (1, -1):
            out.mark(
                [(side * chest * 0.45, pocket_top + 2), (side * chest * 0.7, length - 10.0)],
                "seam",
                0.3,
            )
    if s["drawstrings"] == "yes":
        for side in (1, -1):
            cord = smooth(
                [(side * 2.6, 8.0), (side * 3.2, 16.0), (side * 2.8, 26.0 * s["detail size"])]
            )
            out.add([(side * 2.6, 8.0)], role="metal", printed=False, width=0.7)
            out.add(cord, role="lace", printed=False, width=0.9)
            out.add(cord[-4:], role="lace", printed=False, width=1.3)
    add_sleeves(out, shoulder, underarm, "long", s, cuff="rib")
    out.graphic_box = (
        (0.0, 27.0, chest * 1.3) if s["closure"] != "zip" else (chest * 0.45, 20.0, chest * 0.55)
    )
    return out
