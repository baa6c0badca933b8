"""The built-in demo catalog: procedural product photos with exact ground truth.

Designs (a kind, its shape and its print) are sampled at random and photographed in several
colourways as packshots on a light backdrop, with launch dates that carry known trends. The same
design in two colours has the same silhouette and print geometry, so "same design, other
colour" is known exactly, which real catalogs only approximate.

Example:
    >>> from skill.demo import DemoConfig, build_demo_catalog
    >>> csv_path = build_demo_catalog("data/demo", DemoConfig())

Modules, in the order data flows: palette (named colours), design (sampling, titles),
geometry + tops/dresses/bottoms/accessories (outlines), prints and textures (fills), layers
(colour-independent rasters), render (colours, photo), colourways, trends (launch dates),
builder (the catalog folder), contact_sheet.
"""

from skill.demo.builder import CSV_COLUMNS, PRESETS, DemoConfig, build_demo_catalog, read_catalog
from skill.demo.colourways import sample_colourways
from skill.demo.contact_sheet import render_contact_sheet
from skill.demo.design import KINDS, PRINTS, Design, Print, sample_designs
from skill.demo.palette import PALETTE
from skill.demo.render import (
    Variation,
    render_colour_sweep,
    render_product,
    render_product_mask,
    sample_variation,
)
from skill.demo.trends import TRENDS, Trend, assign_launch_dates

__all__ = [
    "CSV_COLUMNS",
    "KINDS",
    "PALETTE",
    "PRESETS",
    "PRINTS",
    "TRENDS",
    "DemoConfig",
    "Design",
    "Print",
    "Trend",
    "Variation",
    "assign_launch_dates",
    "build_demo_catalog",
    "read_catalog",
    "render_colour_sweep",
    "render_contact_sheet",
    "render_product",
    "render_product_mask",
    "sample_colourways",
    "sample_designs",
    "sample_variation",
]
