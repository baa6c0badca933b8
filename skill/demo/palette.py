"""Named colours of the demo catalog and the colour arithmetic the renderer needs.

A colourway is one name of `PALETTE`. Colours that a design derives from its colourway (the
second colour of a print, a tonal button, the inside of a collar) come from `derive_colour`, so a
design in two colourways differs in colour only.
"""

from __future__ import annotations

import numpy as np

PALETTE: dict[str, str] = {
    "Black": "#1E1E21",
    "White": "#F4F3EF",
    "Off White": "#E9E1CF",
    "Light Grey": "#C3C4C6",
    "Grey Melange": "#8E8F93",
    "Dark Grey": "#45474C",
    "Navy": "#1F2A44",
    "Blue": "#2F5DA8",
    "Light Blue": "#A4C3E4",
    "Denim Blue": "#4D6C93",
    "Turquoise": "#2FA6A0",
    "Mint": "#A9DCC4",
    "Green": "#3A8655",
    "Dark Green": "#1F4A38",
    "Olive": "#66693A",
    "Khaki": "#A49A70",
    "Beige": "#D8C6A5",
    "Camel": "#B08452",
    "Brown": "#5C3F2C",
    "Mustard": "#D2A12B",
    "Yellow": "#F1D65A",
    "Orange": "#DF7835",
    "Terracotta": "#B4573B",
    "Red": "#BD2A2E",
    "Burgundy": "#6B1E2E",
    "Pink": "#EFB5C2",
    "Fuchsia": "#C9306F",
    "Lilac": "#B7A4D3",
    "Purple": "#5F3A86",
}
"""Colour name -> hex. 29 names; names are unique and used as the `colour_name` label."""

# Colours of materials that do not follow the colourway (soles, metal, leather, thread).
MATERIALS: dict[str, str] = {
    "white sole": "#F1EFEA",
    "ecru sole": "#E4D8BC",
    "gum sole": "#B7834A",
    "black sole": "#2A2A2C",
    "silver": "#B9BCC2",
    "gold": "#C9A55A",
    "tan leather": "#9A6738",
    "black leather": "#262427",
    "jeans thread": "#C98D3C",
}

DENIM_COLOURS = ("Denim Blue", "Light Blue", "Blue", "Navy", "Black", "Dark Grey", "White")
"""Colourways a denim design may take (jeans are not sold in Mustard)."""


def colour_slug(name: str) -> str:
    """Return the file-name form of a colour name ("Light Blue" -> "light-blue").

    Raises:
        ValueError: If the name is not in `PALETTE`.
    """
    if name not in PALETTE:
        raise ValueError(f"unknown colour {name!r}; choose one of {sorted(PALETTE)}")
    return name.lower().replace(" ", "-")


def hex_to_rgb(hex_code: str) -> np.ndarray:
    """Return a hex colour as floats in [0, 1]. Shape (3,)."""
    code = hex_code.lstrip("#")
    return np.array([int(code[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float32) / 255.0


def colour_rgb(name: str) -> np.ndarray:
    """Return a palette or material colour as floats in [0, 1]. Shape (3,)."""
    if name in PALETTE:
        return hex_to_rgb(PALETTE[name])
    if name in MATERIALS:
        return hex_to_rgb(MATERIALS[name])
    raise ValueError(
        f"unknown colour {name!r}; choose one of {sorted(PALETTE) + sorted(MATERIALS)}"
    )


def luminance(rgb: np.ndarray) -> float:
    """Return the relative luminance (Rec. 709 weights on the gamma values) of one colour."""
    return float(rgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32))


def derive_colour(rule: str, primary: str) -> np.ndarray:
    """Return the colour that a rule derives from a colourway.

    Rules: a palette or material name (used as is, unless it is too close to the colourway, in
    which case a tonal shade is used so the print stays visible), "tonal light", "tonal dark",
    "tonal" (whichever of the two reads against the colourway), "match" (the colourway).

    Args:
        rule: The design's colour rule, e.g. "White", "tonal", "gold", "match".
        primary: The colourway, a `PALETTE` name.

    Returns:
        The colour as floats in [0, 1]. Shape (3,).
    """
    base = colour_rgb(primary)
    if rule == "match":
        return base
    if rule == "tonal":
        rule = "tonal dark" if luminance(base) > 0.35 else "tonal light"
    if rule == "tonal light":
        colour = base + (1.0 - base) * 0.45
    elif rule == "tonal dark":
        colour = base * 0.6
    else:
        colour = colour_rgb(rule)
    if np.abs(colour - base).sum() < 0.35:  # the print would vanish: use the tonal shade that reads
        return derive_colour("tonal", primary)
    return colour
