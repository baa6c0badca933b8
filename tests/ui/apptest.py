"""Helpers of the app tests: a tiny labelled catalog, photo bytes, and the app run by AppTest."""

import io

from PIL import Image, ImageDraw

from skill.paths import PROJECT_DIR

APP = str(PROJECT_DIR / "app.py")
COLOURS = {"red": (200, 30, 40), "navy": (20, 40, 110), "green": (30, 140, 60)}
SHAPES = ("circle", "square", "stripes", "triangle")


def draw_product(shape: str, colour: tuple[int, int, int], size: int = 96) -> Image.Image:
    """A tiny 'product photo': one shape in one colour on white."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    box = (16, 16, size - 16, size - 16)
    if shape == "circle":
        draw.ellipse(box, fill=colour)
    elif shape == "square":
        draw.rectangle(box, fill=colour)
    elif shape == "triangle":
        draw.polygon([(size // 2, 12), (12, size - 12), (size - 12, size - 12)], fill=colour)
    else:
        for y in range(16, size - 16, 12):
            draw.rectangle((16, y, size - 16, y + 5), fill=colour)
    return image


def make_tiny_catalog(data_dir, name: str = "tiny"):
    """Twelve photos (4 designs x 3 colours) indexed with imagenet-lite0 and a PCA map."""
    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.projection import MapConfig

    photos = data_dir / "photos" / name
    photos.mkdir(parents=True)
    lines = ["id,image_path,design_id,colour,category,title,date"]
    for d, shape in enumerate(SHAPES):
        for c, (colour, rgb) in enumerate(COLOURS.items()):
            file = f"{shape}-{colour}.png"
            draw_product(shape, rgb).save(photos / file)
            category = "tops" if d % 2 == 0 else "bags"
            lines.append(f"{shape}-{colour},{file},D-{shape},{colour},{category},"
                         f"{shape.title()} piece,2025-0{c + 1}-15")  # fmt: skip
    (photos / "labels.csv").write_text("\n".join(lines) + "\n")
    build_catalog(
        photos,
        data_dir / "catalogs" / name,
        photos / "labels.csv",
        encoders=["imagenet-lite0"],
        config=CatalogConfig(map=MapConfig(method="pca")),
    )
    return photos


def png_bytes(shape="circle", colour=(40, 40, 200)) -> bytes:
    buffer = io.BytesIO()
    draw_product(shape, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def open_app(data_dir, monkeypatch, tab: str | None = None, timeout: float = 120):
    """Runs the app on ``data_dir`` (optionally on one tab) and checks it raised nothing."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SKILL_DATA_DIR", str(data_dir))
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    if tab is not None:
        at.session_state["tab"] = tab
        at.run()
    assert not at.exception, at.exception
    return at


ATTRIBUTES = [  # (label, display, group, threshold)
    ("pattern: Stripe", "Stripe", "pattern", 0.6),
    ("pattern: Solid", "Solid", "pattern", 0.6),
    ("type: Bag", "Bag", "type", 0.7),
    ("hood", "hood", "details", 0.5),
    ("pockets", "pockets", "details", None),
]


def make_attribute_catalog(data_dir, name: str = "attrs"):
    """Twelve photos, each its own design launched in one of six months, with known attributes.

    The stripes are ``Stripe`` facts and the rest ``Solid``; bags are ``Bag``; the hood share
    rises from none in the first months to every launch in the last; ``pockets`` has no
    threshold, so it is never a fact (0.8: "likely").
    """
    import json

    import numpy as np

    from skill.catalog.build import CatalogConfig, build_catalog
    from skill.catalog.projection import MapConfig
    from skill.catalog.store import open_catalog

    photos = data_dir / "photos" / name
    photos.mkdir(parents=True)
    lines = ["id,image_path,design_id,colour,category,title,date"]
    probabilities = []
    for i in range(12):
        shape = SHAPES[i % 4]
        colour, rgb = list(COLOURS.items())[i % 3]
        file = f"{shape}-{colour}-{i}.png"
        draw_product(shape, rgb).save(photos / file)
        category = "bags" if shape in ("square", "triangle") else "tops"
        month = i // 2 + 1
        lines.append(f"p{i},{file},D{i},{colour},{category},{shape.title()} {i},2025-0{month}-10")
        stripe = shape == "stripes"
        probabilities.append([0.95 if stripe else 0.05, 0.05 if stripe else 0.9,
                              0.9 if category == "bags" else 0.1, 0.95 if month >= 4 else 0.05,
                              0.8])  # fmt: skip
    (photos / "labels.csv").write_text("\n".join(lines) + "\n")
    catalog_dir = data_dir / "catalogs" / name
    build_catalog(photos, catalog_dir, photos / "labels.csv", encoders=["imagenet-lite0"],
                  config=CatalogConfig(map=MapConfig(method="pca"), attributes=None))  # fmt: skip
    folder = open_catalog(catalog_dir).version / "attributes"
    folder.mkdir()
    order = [int(item[1:]) for item in open_catalog(catalog_dir).items["item_id"]]
    np.save(folder / "probabilities.npy", np.asarray(probabilities, np.float16)[order])
    (folder / "model.json").write_text(json.dumps({
        "name": "test-attributes", "display_name": "Test attributes", "digest": "0",
        "labels": [a[0] for a in ATTRIBUTES], "display": [a[1] for a in ATTRIBUTES],
        "groups": [a[2] for a in ATTRIBUTES], "thresholds": [a[3] for a in ATTRIBUTES],
        "likely_threshold": 0.5, "precision_target": 0.9, "shared_with": None,
    }))  # fmt: skip
    return catalog_dir
