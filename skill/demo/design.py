"""Designs: a product kind, its shape parameters and its print, sampled at random, with a title.

A design is what stays the same across colourways. Two images of one design differ in colour
(and in a small photo-shoot variation), never in silhouette or print geometry.

Example:
    >>> design = sample_designs(1, seed=0)[0]
    >>> design.kind, design.shape["fit"], design.print.kind, design.title
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skill.demo.titles import make_title

KINDS = (
    "t-shirt",
    "shirt",
    "sweater",
    "hoodie",
    "dress",
    "skirt",
    "trousers",
    "shorts",
    "sneaker",
    "bag",
)
"""The product kinds of the demo catalog."""

PRINTS = ("solid", "stripes", "checks", "dots", "motif", "graphic")
"""The print families; each has styles, see `PRINT_STYLES`."""

PRINT_STYLES = {
    "solid": ("plain",),
    "stripes": ("regular", "breton", "pinstripe", "multi"),
    "checks": ("gingham", "windowpane", "tartan", "checkerboard"),
    "dots": ("polka", "pin", "scatter"),
    "motif": ("star", "heart", "flower", "leaf", "diamond"),
    "graphic": ("wordmark", "badge", "sun", "mountain", "wave", "chest-stripe"),
}

PRINT_SCALES = {
    "regular": (4, 10), "breton": (3.5, 5), "pinstripe": (2.5, 5), "multi": (9, 14),
    "gingham": (3, 8), "windowpane": (8, 14), "tartan": (12, 20), "checkerboard": (4, 8),
    "polka": (5, 10), "pin": (2.5, 4), "scatter": (5, 9),
    "motif": (8, 15), "graphic": (0.45, 0.8), "solid": (1, 1),
}  # fmt: skip
"""Range of `Print.scale` per print style (or family, for motifs and graphics)."""

KIND_WEIGHTS = {"t-shirt": 4, "shirt": 3, "sweater": 2, "hoodie": 2, "dress": 3, "skirt": 2,
                "trousers": 3, "shorts": 2, "sneaker": 2, "bag": 2}  # fmt: skip

# Categorical shape options per kind: name -> ((value, weight), ...). Sampled independently,
# then `_harmonise` removes combinations a shop would not sell.
SHAPE_OPTIONS: dict[str, dict[str, tuple[tuple[str, float], ...]]] = {
    "t-shirt": {
        "fit": (("slim", 2), ("regular", 4), ("oversized", 3)),
        "length": (("cropped", 2), ("regular", 5), ("long", 1)),
        "sleeve": (("cap", 1), ("short", 5), ("elbow", 2), ("long", 2)),
        "neckline": (("crew", 5), ("v-neck", 2), ("scoop", 2)),
        "pocket": (("none", 4), ("chest", 1)),
    },
    "shirt": {
        "fit": (("slim", 2), ("regular", 4), ("oversized", 2)),
        "length": (("cropped", 1), ("regular", 5), ("long", 1)),
        "sleeve": (("short", 2), ("long", 4)),
        "collar": (("point", 4), ("button-down", 2), ("band", 1), ("camp", 2)),
        "pocket": (("none", 3), ("one", 3), ("two", 1)),
    },
    "sweater": {
        "fit": (("slim", 1), ("regular", 3), ("oversized", 2)),
        "length": (("cropped", 1), ("regular", 4), ("long", 1)),
        "neckline": (("crew", 4), ("v-neck", 2), ("turtle", 2), ("mock", 1)),
        "closure": (("pullover", 4), ("cardigan", 1)),
    },
    "hoodie": {
        "fit": (("regular", 3), ("oversized", 3)),
        "length": (("cropped", 1), ("regular", 4)),
        "closure": (("pullover", 3), ("zip", 2)),
        "pocket": (("kangaroo", 3), ("side", 1), ("none", 1)),
        "drawstrings": (("yes", 3), ("no", 1)),
    },
    "dress": {
        "length": (("mini", 2), ("knee", 3), ("midi", 3), ("maxi", 2)),
        "silhouette": (("shift", 2), ("a-line", 3), ("fit-and-flare", 3), ("slip", 1)),
        "sleeve": (("strap", 2), ("sleeveless", 2), ("short", 3), ("long", 2)),
        "neckline": (("crew", 3), ("v-neck", 2), ("square", 2)),
        "waist": (("none", 3), ("seam", 2), ("tie-belt", 1)),
    },
    "skirt": {
        "length": (("mini", 2), ("knee", 3), ("midi", 3), ("maxi", 1)),
        "silhouette": (("pencil", 2), ("a-line", 3), ("pleated", 2), ("flared", 2)),
        "waistband": (("narrow", 2), ("wide", 2), ("elastic", 1)),
        "detail": (("none", 3), ("buttons", 1), ("slit", 1), ("pockets", 1)),
    },
    "trousers": {
        "style": (("chino", 3), ("jeans", 4), ("tailored", 2), ("joggers", 2), ("cargo", 1)),
        "fit": (("skinny", 2), ("slim", 3), ("straight", 3), ("wide", 2), ("flared", 1)),
        "length": (("cropped", 1), ("full", 4)),
        "turn-ups": (("no", 4), ("yes", 1)),
    },
    "shorts": {
        "style": (("chino", 3), ("denim", 3), ("sweat", 2), ("cargo", 1)),
        "length": (("short", 2), ("mid", 3), ("bermuda", 2)),
        "fit": (("slim", 1), ("regular", 3), ("wide", 2)),
        "turn-ups": (("no", 3), ("yes", 1)),
    },
    "sneaker": {
        "style": (("court", 3), ("canvas", 3), ("runner", 2), ("chunky", 1)),
        "profile": (("low", 4), ("high", 1)),
        "sole": (("slim", 2), ("regular", 3), ("chunky", 1)),
        "panel": (("none", 2), ("stripe", 2), ("swoosh", 2), ("three-stripes", 1), ("heel", 1)),
        "sole colour": (("white sole", 5), ("ecru sole", 1), ("gum sole", 1), ("black sole", 1)),
        "laces": (("white", 2), ("match", 2)),
    },
    "bag": {
        "style": (("tote", 3), ("shoulder", 3), ("crossbody", 2), ("backpack", 2)),
        "shape": (("rectangle", 3), ("trapezoid", 2), ("rounded", 2)),
        "strap": (("match", 3), ("tan leather", 1), ("black leather", 1)),
        "closure": (("none", 2), ("flap", 2), ("zip", 2)),
        "hardware": (("silver", 1), ("gold", 1)),
    },
}

FABRICS = {
    "t-shirt": ("jersey",),
    "shirt": ("poplin", "poplin", "oxford", "denim"),
    "sweater": ("knit", "knit", "rib knit"),
    "hoodie": ("fleece",),
    "dress": ("jersey", "crepe", "crepe", "poplin"),
    "skirt": ("twill", "crepe", "denim"),
    "trousers": ("twill",),
    "shorts": ("twill",),
    "sneaker": ("leather",),
    "bag": ("canvas", "leather"),
}
"""Fabric (the surface texture) a kind may be made of."""

PRINT_WEIGHTS = {
    "default": (30, 20, 14, 10, 12, 14),
    "shirt": (30, 28, 28, 6, 8, 0),
    "trousers": (70, 12, 16, 0, 2, 0),
    "shorts": (50, 18, 18, 4, 10, 0),
    "sneaker": (70, 6, 14, 4, 6, 0),
    "bag": (36, 22, 16, 10, 12, 4),
    "skirt": (36, 14, 22, 12, 16, 0),
    "dress": (32, 18, 14, 14, 22, 0),
}
"""Weights of `PRINTS` per kind."""

SECOND_COLOURS = (("White", 5), ("Off White", 2), ("Navy", 2), ("Black", 2), ("tonal", 4),
                  ("tonal light", 1), ("tonal dark", 1), ("Red", 1), ("Mustard", 1))  # fmt: skip
WORDS = ("SUNDAY", "OCEAN CLUB", "AMOUR", "NYC 1994", "GOOD VIBES", "ATHLETIC", "BROOKLYN",
         "MERCI", "SKILL", "PARIS", "ALOHA", "NORTH", "LOVE", "COSMIC", "BONJOUR", "ORIGINAL")  # fmt: skip


@dataclass(frozen=True)
class Print:
    """A print: what is printed or woven on the fabric, independent of the colourway.

    Attributes:
        kind: One of `PRINTS`.
        style: One of `PRINT_STYLES[kind]`.
        scale: Repeat period (or graphic width) in percent of the frame width. Typical values
            are in [2, 40].
        angle: Orientation in degrees; 0 is horizontal stripes, 90 vertical.
        second_colour: Rule deriving the print's second colour from the colourway (a palette
            name, "tonal", "tonal light" or "tonal dark"; see `palette.derive_colour`).
        text: The words of a wordmark or badge graphic, empty otherwise.
        seed: Seeds the print's own randomness (scattered dots, motif jitter).
    """

    kind: str = "solid"
    style: str = "plain"
    scale: float = 6.0
    angle: float = 0.0
    second_colour: str = "White"
    text: str = ""
    seed: int = 0


@dataclass(frozen=True)
class Design:
    """A product design: kind, shape parameters and print; colourways are chosen apart.

    Attributes:
        design_id: Stable identifier, e.g. "D0042".
        kind: One of `KINDS`.
        params: Shape parameters as sorted (name, value) pairs; categorical values are
            strings (see `SHAPE_OPTIONS`), proportions are floats near 1. Read them through
            `shape`.
        print: The print.
        fabric: Surface texture, one of `FABRICS[kind]`.
    """

    design_id: str
    kind: str
    params: tuple[tuple[str, str | float], ...]
    print: Print
    fabric: str

    @property
    def shape(self) -> dict[str, str | float]:
        """Shape parameters by name."""
        return dict(self.params)

    @property
    def title(self) -> str:
        """A shop title such as "Striped cropped t-shirt"."""
        return make_title(self.kind, self.shape, self.print.style, self.fabric)


def _choose(rng: np.random.Generator, options) -> str:
    values, weights = zip(*options, strict=True)
    p = np.asarray(weights, dtype=np.float64)
    return str(values[rng.choice(len(values), p=p / p.sum())])


def _harmonise(kind: str, shape: dict) -> None:
    """Replace parameter combinations a shop would not sell, in place."""
    if kind == "trousers" and shape["style"] == "joggers":
        shape["turn-ups"] = "no"
        if shape["fit"] in ("wide", "flared"):
            shape["fit"] = "straight"
    if kind == "sneaker":
        soles = {"chunky": ("chunky",), "runner": ("regular", "chunky")}.get(
            shape["style"], ("slim", "regular")
        )
        if shape["sole"] not in soles:
            shape["sole"] = "chunky" if shape["style"] == "chunky" else "regular"
        if shape["style"] in ("runner", "chunky"):
            shape["profile"] = "low"
    if kind == "bag" and shape["style"] == "backpack":
        shape["closure"] = "zip"
    if kind == "dress" and shape["silhouette"] == "slip":
        shape["sleeve"], shape["neckline"] = "strap", "v-neck"
    if kind == "skirt" and shape["silhouette"] == "pleated":
        shape["detail"] = "none"


def _sample_fabric(kind: str, shape: dict, rng: np.random.Generator) -> str:
    by_style = {"jeans": "denim", "denim": "denim", "joggers": "fleece", "sweat": "fleece",
                "canvas": "canvas", "runner": "mesh", "court": "leather", "chunky": "leather"}  # fmt: skip
    if kind in ("trousers", "shorts", "sneaker"):
        return by_style.get(str(shape["style"]), "twill")
    return str(rng.choice(FABRICS[kind]))


def _sample_print(kind: str, fabric: str, rng: np.random.Generator, seed: int) -> Print:
    weights = PRINT_WEIGHTS.get(kind, PRINT_WEIGHTS["default"])
    if fabric == "denim":
        weights = (1, 0, 0, 0, 0, 0)
    family = _choose(rng, zip(PRINTS, weights, strict=True))
    styles = PRINT_STYLES[family]
    if family == "checks" and kind not in ("sneaker", "bag"):
        styles = styles[:3]
    if family == "graphic" and kind in ("bag", "dress"):
        styles = ("wordmark", "badge", "sun", "wave")
    style = str(rng.choice(styles))
    scale = PRINT_SCALES[style if style in PRINT_SCALES else family]
    angle = 0.0
    if family == "stripes":
        angle = float(_choose(rng, (("0", 6), ("90", 3 if style != "breton" else 0), ("45", 1))))
    elif family in ("checks", "motif", "dots") and style != "scatter":
        angle = float(rng.choice([0.0, 0.0, 0.0, 45.0]))
    text = str(rng.choice(WORDS)) if style in ("wordmark", "badge") else ""
    return Print(family, style, round(float(rng.uniform(*scale)), 2), angle,
                 _choose(rng, SECOND_COLOURS), text, seed)  # fmt: skip


def sample_design(index: int, kind: str, rng: np.random.Generator) -> Design:
    """Sample one design of a given kind.

    Args:
        index: Position in the catalog; gives the id "D0042".
        kind: One of `KINDS`.
        rng: Source of randomness; the design depends on nothing else.
    """
    if kind not in SHAPE_OPTIONS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {KINDS}")
    shape: dict[str, str | float] = {n: _choose(rng, o) for n, o in SHAPE_OPTIONS[kind].items()}
    _harmonise(kind, shape)
    # Continuous proportions make two designs with equal options still differ a little.
    for name in ("width", "height", "detail size"):
        shape[name] = round(float(rng.uniform(0.9, 1.1)), 3)
    shape["drape"] = round(float(rng.uniform(0.0, 1.0)), 3)
    fabric = _sample_fabric(kind, shape, rng)
    printed = _sample_print(kind, fabric, rng, int(rng.integers(2**31)))
    if printed.kind == "graphic" and shape.get("pocket") == "chest":
        shape["pocket"] = "none"  # the graphic goes where the pocket would be
    return Design(f"D{index:04d}", kind, tuple(sorted(shape.items())), printed, fabric)


def sample_designs(n: int, seed: int = 0) -> list[Design]:
    """Sample n designs; the first `len(KINDS)` cover every kind once, the rest follow shop weights.

    Args:
        n: Number of designs. Typical values are in [10, 2000].
        seed: Random seed; equal seeds give equal designs.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = np.random.default_rng([seed, 1])
    weights = np.array([KIND_WEIGHTS[k] for k in KINDS], dtype=np.float64)
    kinds = list(rng.permutation(KINDS)) + list(rng.choice(KINDS, size=max(0, n - len(KINDS)),
                                                            p=weights / weights.sum()))  # fmt: skip
    return [sample_design(i, str(kinds[i]), np.random.default_rng([seed, 2, i])) for i in range(n)]
