"""Vector outlines of products: the pieces a garment drawing is made of, and curve helpers.

A product is drawn as an `Outline`: filled pieces in painting order (panels, ribbing, straps,
buttons) plus lines that only mark the fabric (seams, topstitching, folds). Coordinates are in
the product's own units (roughly centimetres, y pointing down); `fit_outline` scales and centres
the drawing into the frame, so each kind's code can think in real proportions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ROLES = ("fabric", "rib", "inside", "contrast", "sole", "button", "metal", "strap", "lace")
"""Colour roles a piece can take; the renderer maps each to a colour of the colourway."""

LINE_KINDS = ("seam", "stitch", "fold", "edge")
"""seam: a thin dark line; stitch: dashed thread; fold: a soft shadow; edge: a soft highlight."""


@dataclass(frozen=True)
class Piece:
    """A filled piece: a closed polygon, a thick polyline (`width` > 0) or a disc (one point).

    Attributes:
        points: Vertices. Shape (n, 2).
        role: One of `ROLES`.
        printed: Whether the design's print shows on this piece.
        shade: Brightness factor of the piece (a sleeve turned away from the light is darker).
            Typical values are in [0.85, 1.1].
        width: Line width for a polyline piece, radius for a disc; 0 for a polygon.
    """

    points: np.ndarray
    role: str = "fabric"
    printed: bool = True
    shade: float = 1.0
    width: float = 0.0


@dataclass(frozen=True)
class Line:
    """A mark on the fabric that is not a piece of its own: seam, stitching, fold or highlight.

    Attributes:
        points: Polyline vertices. Shape (n, 2).
        kind: One of `LINE_KINDS`.
        width: Stroke width in product units. Typical values are in [0.15, 3].
    """

    points: np.ndarray
    kind: str = "seam"
    width: float = 0.3


@dataclass
class Outline:
    """The drawing of one product: pieces in painting order and marks on top of them.

    Attributes:
        pieces: Filled pieces, back to front.
        lines: Seams, stitching and folds, drawn after all pieces.
        graphic_box: Where a placed graphic goes: (centre x, centre y, width).
    """

    pieces: list[Piece] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    graphic_box: tuple[float, float, float] = (0.0, 0.0, 10.0)

    def add(self, points, role="fabric", printed=True, shade=1.0, width=0.0) -> None:
        """Append a piece (see `Piece`)."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        self.pieces.append(Piece(pts, role, printed, shade, width))

    def mark(self, points, kind="seam", width=0.3) -> None:
        """Append a line (see `Line`)."""
        self.lines.append(Line(np.asarray(points, dtype=np.float64).reshape(-1, 2), kind, width))

    def bounds(self) -> tuple[float, float, float, float]:
        """Return (x0, y0, x1, y1) over all pieces, strokes and discs included."""
        lo = np.array([np.inf, np.inf])
        hi = -lo
        for piece in self.pieces:
            pad = piece.width / 2 if len(piece.points) > 1 else piece.width
            lo = np.minimum(lo, piece.points.min(axis=0) - pad)
            hi = np.maximum(hi, piece.points.max(axis=0) + pad)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    def transformed(self, scale: float, offset: tuple[float, float]) -> Outline:
        """Return a copy with every coordinate mapped p -> p * scale + offset."""
        off = np.asarray(offset, dtype=np.float64)
        out = Outline(
            graphic_box=(
                self.graphic_box[0] * scale + off[0],
                self.graphic_box[1] * scale + off[1],
                self.graphic_box[2] * scale,
            )
        )
        for p in self.pieces:
            out.pieces.append(
                Piece(p.points * scale + off, p.role, p.printed, p.shade, p.width * scale)
            )
        for line in self.lines:
            out.lines.append(Line(line.points * scale + off, line.kind, line.width * scale))
        return out


def fit_outline(outline: Outline, box: tuple[float, float, float, float]) -> Outline:
    """Scale an outline uniformly so it fits a box, and centre it there.

    Args:
        outline: The drawing in product units.
        box: (centre x, centre y, max width, max height) in target units.
    """
    x0, y0, x1, y1 = outline.bounds()
    cx, cy, max_w, max_h = box
    scale = min(max_w / (x1 - x0), max_h / (y1 - y0))
    return outline.transformed(scale, (cx - (x0 + x1) / 2 * scale, cy - (y0 + y1) / 2 * scale))


class Path:
    """Builds a polyline from straight and Bezier segments, like an SVG path.

    Example:
        >>> pts = Path((0, 0)).line((10, 0)).curve((12, 0), (14, 3), (14, 6)).points()
    """

    def __init__(self, start) -> None:
        self._pts = [np.asarray(start, dtype=np.float64)]

    def line(self, *points) -> Path:
        """Add straight segments to each point in turn."""
        self._pts.extend(np.asarray(p, dtype=np.float64) for p in points)
        return self

    def curve(self, c1, c2, end, n: int = 10) -> Path:
        """Add a cubic Bezier from the current point through controls c1, c2 to end."""
        p0, p1, p2, p3 = self._pts[-1], np.asarray(c1), np.asarray(c2), np.asarray(end)
        t = np.linspace(0, 1, n + 1)[1:, None]
        seg = (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3
        self._pts.extend(seg)
        return self

    def quad(self, c, end, n: int = 8) -> Path:
        """Add a quadratic Bezier from the current point through control c to end."""
        p0, p1, p2 = self._pts[-1], np.asarray(c), np.asarray(end)
        t = np.linspace(0, 1, n + 1)[1:, None]
        self._pts.extend((1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2)
        return self

    def points(self) -> np.ndarray:
        """Return the vertices. Shape (n, 2)."""
        return np.array(self._pts)


def mirror(half: np.ndarray, axis_x: float = 0.0) -> np.ndarray:
    """Close a right half (drawn from the top of the axis to its bottom) into a symmetric polygon.

    Args:
        half: Vertices of the right half. Shape (n, 2).
        axis_x: The x of the symmetry axis.

    Returns:
        The full polygon, right half then the mirrored left half back up. Shape (2n, 2).
    """
    left = half[::-1].copy()
    left[:, 0] = 2 * axis_x - left[:, 0]
    return np.concatenate([half, left])


def flip_x(points, axis_x: float = 0.0) -> np.ndarray:
    """Return points mirrored about a vertical axis. Shape (n, 2)."""
    out = np.array(points, dtype=np.float64).reshape(-1, 2)
    out[:, 0] = 2 * axis_x - out[:, 0]
    return out


def offset(points: np.ndarray, distance: float) -> np.ndarray:
    """Return a polyline moved sideways by `distance` (to the left of the walking direction).

    Args:
        points: Polyline vertices. Shape (n, 2).
        distance: Offset in the same units; negative moves to the right.
    """
    pts = np.asarray(points, dtype=np.float64)
    tangent = np.gradient(pts, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True) + 1e-9
    normal = np.stack([tangent[:, 1], -tangent[:, 0]], axis=1)
    return pts + normal * distance


def band(points: np.ndarray, width: float) -> np.ndarray:
    """Return the polygon of a band of `width` to the left of a polyline. Shape (2n, 2)."""
    return np.concatenate([points, offset(points, width)[::-1]])


def ellipse(center, rx: float, ry: float, n: int = 32, start: float = 0.0, stop: float = 360.0):
    """Return points on an ellipse arc (degrees, y down). Shape (n, 2)."""
    a = np.radians(np.linspace(start, stop, n))
    return np.stack([center[0] + rx * np.cos(a), center[1] + ry * np.sin(a)], axis=1)


def rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float) -> np.ndarray:
    """Return a rectangle with rounded corners of radius r. Shape (n, 2)."""
    r = min(r, (x1 - x0) / 2, (y1 - y0) / 2)
    corners = [
        (x1 - r, y0 + r, -90),
        (x1 - r, y1 - r, 0),
        (x0 + r, y1 - r, 90),
        (x0 + r, y0 + r, 180),
    ]
    return np.concatenate([ellipse((cx, cy), r, r, 8, a, a + 90) for cx, cy, a in corners])


def smooth(points, n: int = 6) -> np.ndarray:
    """Return a Catmull-Rom curve through points (ends included), n samples per span.

    Args:
        points: Points the curve passes through. Shape (k, 2).
        n: Samples per span between two points.

    Returns:
        Shape ((k - 1) * n + 1, 2).
    """
    p = np.asarray(points, dtype=np.float64)
    ext = np.concatenate([2 * p[:1] - p[1:2], p, 2 * p[-1:] - p[-2:-1]])
    t = np.linspace(0, 1, n, endpoint=False)[:, None]
    out = []
    for i in range(len(p) - 1):
        p0, p1, p2, p3 = ext[i], ext[i + 1], ext[i + 2], ext[i + 3]
        out.append(0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                          + (3 * p1 - p0 - 3 * p2 + p3) * t**3))  # fmt: skip
    out.append(p[-1:])
    return np.concatenate(out)


def lerp(a, b, t: float) -> np.ndarray:
    """Return the point a fraction t of the way from a to b."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a + (b - a) * t
