"""Build the demo catalog: product photos of sampled designs in several colourways, plus a CSV.

The catalog is a folder::

    catalog.csv      one row per image (see `CSV_COLUMNS`)
    config.json      the `DemoConfig` it was built from, and the format version
    images/          <design_id>_<colour>.jpg

It is built in a temporary folder next to the target and renamed into place, so a crash never
leaves half a catalog; building again with the same config finds the catalog and does nothing.

Example:
    >>> csv_path = build_demo_catalog("data/demo", DemoConfig(n_designs=20))
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skill.demo.colourways import sample_colourways
from skill.demo.design import sample_designs
from skill.demo.layers import prepare_layers
from skill.demo.palette import PALETTE, colour_slug
from skill.demo.render import colourize, sample_variation, shoot
from skill.demo.trends import assign_launch_dates
from skill.progress import Progress

FORMAT_VERSION = 1
CSV_NAME = "catalog.csv"
CONFIG_NAME = "config.json"
CSV_COLUMNS = ("id", "image_path", "design_id", "kind", "colour_name", "colour_hex", "print", "title",
               "launch_date", "print_style", "fabric", "length", "fit", "attributes")  # fmt: skip
"""Columns of catalog.csv. The first nine are the catalog proper; the rest is ground truth for
analysis: the print's style, the fabric, the trending shape parameters ("" where a kind has none)
and every shape and print parameter as JSON."""


@dataclass(frozen=True)
class DemoConfig:
    """How to build a demo catalog.

    Attributes:
        n_designs: Number of designs. Typical values are in [12, 2000]; the default 300 gives
            about 1,050 images.
        colours_per_design: (min, max) colourways per design, both inclusive; min >= 2 so every
            design can be searched across colours. Typical values are in [2, 6].
        image_size: Image width in pixels. Typical values are in [128, 512].
        aspect: Image height / width. 1.25 (256 x 320 at the default width) is a portrait
            packshot like real catalogs' (H&M's are 2:3) that still keeps most of the product
            inside a square centre crop; 1.0 gives square images.
        seed: Random seed; the same config gives byte-identical CSVs and identical images.
        start_date: First launch date, ISO format.
        end_date: Last launch date, ISO format, inclusive.
        variation: Strength of the per-photo pose, scale and light variation, in [0, 1]; 0 puts
            every colourway of a design in exactly the same pose.
        jpeg_quality: JPEG quality of the images. Typical values are in [80, 95].
    """

    n_designs: int = 300
    colours_per_design: tuple[int, int] = (2, 5)
    image_size: int = 256
    aspect: float = 1.25
    seed: int = 0
    start_date: str = "2024-01-01"
    end_date: str = "2025-12-31"
    variation: float = 1.0
    jpeg_quality: int = 90

    def validate(self) -> None:
        """Raise ValueError if a setting is out of range."""
        low, high = self.colours_per_design
        if self.n_designs < 1:
            raise ValueError(f"n_designs must be >= 1, got {self.n_designs}")
        if not 2 <= low <= high <= 7:
            raise ValueError(
                f"colours_per_design must satisfy 2 <= min <= max <= 7, got {self.colours_per_design}"
            )
        if not 64 <= self.image_size <= 2048:
            raise ValueError(f"image_size must be in [64, 2048], got {self.image_size}")
        if not 0.5 <= self.aspect <= 2.0:
            raise ValueError(f"aspect must be in [0.5, 2], got {self.aspect}")
        if not 0.0 <= self.variation <= 1.0:
            raise ValueError(f"variation must be in [0, 1], got {self.variation}")
        if not 1 <= self.jpeg_quality <= 100:
            raise ValueError(f"jpeg_quality must be in [1, 100], got {self.jpeg_quality}")
        if self.end_date < self.start_date:
            raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")


PRESETS = {
    "default": DemoConfig(),
    "tiny": DemoConfig(n_designs=12, image_size=128),
    "small": DemoConfig(n_designs=60),
    "large": DemoConfig(n_designs=1000),
}
"""Named configs: "tiny" for tests (about 40 images), "default" for the demo (about 1,050)."""


def _config_record(config: DemoConfig) -> dict:
    return {"format_version": FORMAT_VERSION, "config": dataclasses.asdict(config) | {
        "colours_per_design": list(config.colours_per_design)}}  # fmt: skip


def is_complete(out_dir: str | os.PathLike, config: DemoConfig) -> bool:
    """Return whether a folder holds a finished catalog built from this config."""
    out = Path(out_dir)
    try:
        record = json.loads((out / CONFIG_NAME).read_text())
    except (OSError, ValueError):
        return False
    return record == _config_record(config) and (out / CSV_NAME).is_file()


def _rows(config: DemoConfig):
    """Yield (design, colours, launch date) for every design of the catalog."""
    designs = sample_designs(config.n_designs, config.seed)
    dates = assign_launch_dates(designs, config.start_date, config.end_date, config.seed)
    low, high = config.colours_per_design
    for i, (design, date) in enumerate(zip(designs, dates, strict=True)):
        rng = np.random.default_rng([config.seed, 4, i])
        yield design, sample_colourways(design, int(rng.integers(low, high + 1)), rng), date


def demo_photo_count(config: DemoConfig = DemoConfig()) -> int:
    """The number of photos a config renders (every colourway of every design), without
    rendering them."""
    return sum(len(colours) for _, colours, _ in _rows(config))


def build_demo_catalog(out_dir: str | os.PathLike, config: DemoConfig = DemoConfig(),
                       progress: Progress | None = None, verbose: bool = True) -> Path:  # fmt: skip
    """Build the demo catalog into a folder, unless it already holds one of the same config.

    Args:
        out_dir: Target folder. It must not exist, be empty, or hold a demo catalog (which
            is replaced when its config differs).
        config: What to build.
        progress: Stage ``rendering demo photos``, after every image (:mod:`skill.progress`).
        verbose: Print the number of images and the speed (images/s) when done.

    Returns:
        The path of catalog.csv.
    """
    config.validate()
    out = Path(out_dir)
    if is_complete(out, config):
        return out / CSV_NAME
    if out.exists() and any(out.iterdir()) and not (out / CONFIG_NAME).exists():
        raise ValueError(f"{out} exists and is not a demo catalog; choose an empty or new folder")
    plan = list(_rows(config))
    total = sum(len(colours) for _, colours, _ in plan)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "images").mkdir(parents=True)
    start, done, rows = time.perf_counter(), 0, []
    try:
        for i, (design, colours, date) in enumerate(plan):
            layers = prepare_layers(design, config.image_size, config.aspect)
            attributes = json.dumps(
                {"shape": design.shape, "print": dataclasses.asdict(design.print)}, sort_keys=True
            )
            for j, colour in enumerate(colours):
                variation = sample_variation(
                    np.random.default_rng([config.seed, 5, i, j]), config.variation
                )
                image = shoot(colourize(layers, design, colour), config.image_size, variation)
                rel = f"images/{design.design_id}_{colour_slug(colour)}.jpg"
                image.save(tmp / rel, quality=config.jpeg_quality)
                rows.append({
                    "id": f"{design.design_id}-{colour_slug(colour)}", "image_path": rel,
                    "design_id": design.design_id, "kind": design.kind, "colour_name": colour,
                    "colour_hex": PALETTE[colour], "print": design.print.kind, "title": design.title,
                    "launch_date": date.isoformat(), "print_style": design.print.style,
                    "fabric": design.fabric, "length": design.shape.get("length", ""),
                    "fit": design.shape.get("fit", ""), "attributes": attributes,
                })  # fmt: skip
                done += 1
                if progress is not None:
                    progress("rendering demo photos", done, total)
        with open(tmp / CSV_NAME, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        (tmp / CONFIG_NAME).write_text(json.dumps(_config_record(config), indent=2) + "\n")
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    seconds = time.perf_counter() - start
    if verbose:
        print(f"demo catalog: {total} images of {len(plan)} designs in {seconds:.1f} s "
              f"({total / seconds:.1f} images/s) -> {out / CSV_NAME}")  # fmt: skip
    return out / CSV_NAME


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename a finished catalog folder onto `out`, removing what was there only afterwards."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def read_catalog(csv_path: str | os.PathLike) -> list[dict[str, str]]:
    """Read catalog.csv into a list of rows (dicts keyed by `CSV_COLUMNS`)."""
    with open(csv_path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
