"""Property-based fuzzing (hypothesis) of the paths that take untrusted input.

- any bytes, and valid JPEG/PNG files with bytes flipped, cut or inserted, go into
  :func:`skill.images.decode.load_image`: it returns an RGB image or raises ImageLoadError, nothing else;
- any CSV text or bytes go into :func:`skill.catalog.source.read_items`: it returns items that
  all lie inside the images folder, or raises CatalogInputError, nothing else;
- zip archives with arbitrary entry names go into :func:`skill.images.archive.extract_zip`: nothing is
  ever written outside the destination, and only ArchiveError escapes;
- random JSON, and the tiny encoder's config with keys replaced by random JSON, file paths and
  URLs, go into :func:`skill.encoders.checkpoint.validate_config` and the whole loader
  (:func:`skill.encoders.encoder.load_encoder`): an encoder or CheckpointError, nothing else.
"""

import io
import json
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from skill.catalog.source import ITEM_COLUMNS, CatalogInputError, read_items
from skill.images.decode import ImageLoadError, load_image
from tests.shapes import FILLS, draw_shape

FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


SEEDS = {
    "jpeg": _encoded(draw_shape("circle", FILLS["Red"], size=48), "JPEG"),
    "png": _encoded(draw_shape("cross", FILLS["Blue"], size=48), "PNG"),
    "png-alpha": _encoded(draw_shape("square", FILLS["Green"], size=48).convert("RGBA"), "PNG"),
    "gif": _encoded(draw_shape("triangle", FILLS["Yellow"], size=48), "GIF"),
    "webp": _encoded(draw_shape("circle", FILLS["Blue"], size=48), "WEBP"),
}


def _check_load(data: bytes) -> None:
    try:
        image = load_image(data)
    except ImageLoadError as error:
        assert str(error)
        return
    assert image.mode == "RGB" and min(image.size) >= 8


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes_never_raise_anything_but_image_load_error(data):
    _check_load(data)


@st.composite
def mutated_images(draw):
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 8))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "header"]))
        if action == "flip" and data:
            position = draw(st.integers(0, len(data) - 1))
            data[position] = draw(st.integers(0, 255))
        elif action == "header" and len(data) > 32:  # where sizes and modes live
            position = draw(st.integers(0, 31))
            data[position] = draw(st.integers(0, 255))
        elif action == "cut":
            data = data[: draw(st.integers(0, len(data)))]
        else:
            position = draw(st.integers(0, len(data)))
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


@FUZZ
@given(mutated_images())
def test_mutated_images_never_raise_anything_but_image_load_error(data):
    _check_load(data)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz") / "photos"
    folder.mkdir()
    for name in ("a.jpg", "b.png", "sub/c.jpg"):
        (folder / name).parent.mkdir(exist_ok=True)
        draw_shape("circle", FILLS["Red"], size=32).save(folder / name)
    (folder.parent / "outside.jpg").write_bytes(SEEDS["jpeg"])
    return folder


CSV_PIECES = st.sampled_from(
    ["id", "image", "image_path", "design_id", "colour", "a.jpg", "b.png", "sub/c.jpg",
     "../outside.jpg", "/etc/passwd", "x.txt", ",", ",", "\n", "\n", '"', "\r\n", ";", "\t",
     "\x00", "é", "\ufeff", " ", "1", "1"]
)  # fmt: skip


def _check_items(folder: Path, csv_bytes: bytes) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        csv_path = Path(scratch) / "labels.csv"
        csv_path.write_bytes(csv_bytes)
        try:
            table = read_items(folder, csv_path)
        except CatalogInputError as error:
            assert str(error)
            return
    assert list(table.items.columns) == list(ITEM_COLUMNS)
    assert not table.items["item_id"].duplicated().any()
    root = folder.resolve()
    for rel in table.items["image_path"]:
        path = (root / rel).resolve()
        assert path.is_relative_to(root) and path.is_file(), rel


@FUZZ
@given(st.lists(CSV_PIECES, max_size=40), st.sampled_from(["utf-8", "latin-1", "utf-16"]))
def test_csv_text_never_raises_anything_but_catalog_input_error(photos, pieces, encoding):
    text = "".join(pieces)
    _check_items(photos, text.encode(encoding, errors="replace"))


@FUZZ
@given(st.binary(max_size=512))
def test_csv_bytes_never_raise_anything_but_catalog_input_error(photos, data):
    _check_items(photos, b"id,image\n" + data)


NAME_PIECES = st.sampled_from(
    ["a", "b.jpg", "c.png", "labels.csv", "/", "/", "\\", "..", ".", "C:", "~", "\x00", "é",
     "__MACOSX", ".hidden", " ", "x.exe"]
)  # fmt: skip


@pytest.mark.filterwarnings("ignore:Duplicate name")
@FUZZ
@given(st.lists(st.lists(NAME_PIECES, min_size=1, max_size=8).map("".join), max_size=6))
def test_zip_entries_never_escape_the_destination(names):
    from skill.images import archive as archive_module

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            try:
                archive.writestr(name, SEEDS["png"])
            except (ValueError, IndexError):  # zipfile cannot write some names (NUL bytes)
                continue
    with tempfile.TemporaryDirectory() as scratch:
        outer = Path(scratch)
        destination = outer / "upload" / "inside"
        report = archive_module.extract_zip(buffer.getvalue(), destination)
        written = {p.resolve() for p in outer.rglob("*") if p.is_file()}
        root = destination.resolve()
        assert all(p.is_relative_to(root) for p in written), written
        assert {p.resolve() for p in report.extracted} == written
        assert len(report.extracted) + len(report.refused) <= len(names)


@FUZZ
@given(st.binary(max_size=1024))
def test_random_bytes_as_a_zip_raise_only_archive_error(data):
    from skill.images import archive as archive_module

    with tempfile.TemporaryDirectory() as scratch:
        try:
            archive_module.extract_zip(b"PK\x03\x04" + data, Path(scratch) / "out")
        except archive_module.ArchiveError as error:
            assert str(error)


# ---------------------------------------------------------------- checkpoint configs

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**13), 10**13)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=16)
    | st.sampled_from(
        [
            "/etc/passwd",
            "../../model.pth",
            "https://example.com/w.bin",
            "hf-hub:timm/resnet10t",
            "timm:resnet10t",
            "max",
            "catavgmax",
            "mlp",
            "linear",
            "crop",
            "pad",
            "resnet10t",
            "resnet50",
            "bicubic",
        ]
    ),  # fmt: skip
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
CONFIG_KEYS = [  # hypothesis favours the first ones: the nested dicts timm and torch see
    "backbone_kwargs", "head", "preprocess", "architecture", "feature_dim", "embedding_dim",
    "name", "display_name", "role", "training", "metrics", "created", "checkpoint_path",
    "num_classes", "format_version",
]  # fmt: skip
NESTED_KEYS = {
    "head": ["type", "in_dim", "out_dim", "hidden_dim", "num_layers", "normalize_input", "bias"],
    "preprocess": ["input_size", "crop_pct", "resize_mode", "mean", "std", "interpolation",
                   "grayscale", "path"],
    "backbone_kwargs": ["global_pool", "drop_rate", "drop_path_rate", "checkpoint_path",
                        "num_classes", "pretrained_cfg_overlay", "in_chans"],
}  # fmt: skip


@st.composite
def checkpoint_configs(draw):
    """Random JSON objects, and the tiny encoder's valid config with keys changed or added."""
    from tests.shapes import TINY_CONFIG

    if draw(st.integers(0, 4)) == 4:
        return draw(JSON_VALUES)
    config = json.loads(json.dumps({"format_version": 1, **TINY_CONFIG}))
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from(CONFIG_KEYS))
        nested = NESTED_KEYS.get(key)
        if nested and draw(st.booleans()):
            inner = config.get(key) if isinstance(config.get(key), dict) else {}
            inner[draw(st.sampled_from(nested))] = draw(JSON_VALUES)
            config[key] = inner
        elif draw(st.integers(0, 5)) == 5:
            config.pop(key, None)
        else:
            config[key] = draw(JSON_VALUES)
    return config


@FUZZ
@given(checkpoint_configs())
def test_random_checkpoint_configs_validate_or_raise_checkpoint_error(config):
    from skill.encoders.checkpoint import CheckpointError, validate_config

    try:
        validate_config(config)
    except CheckpointError as error:
        assert str(error) and "\n" not in str(error)


@pytest.fixture(scope="module")
def tiny_weights():
    import torch

    from skill.encoders.encoder import encoder_from_config
    from tests.shapes import TINY_CONFIG

    torch.manual_seed(0)
    return encoder_from_config(TINY_CONFIG).state_dict()


@settings(FUZZ, max_examples=200)
@given(checkpoint_configs())
def test_random_checkpoint_configs_load_or_raise_checkpoint_error(tiny_weights, config):
    """The whole loader (config.json as written, tiny weights): an encoder or CheckpointError."""
    from safetensors.torch import save_file

    from skill.encoders.checkpoint import CheckpointError
    from skill.encoders.encoder import Encoder, load_encoder

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "ckpt"
        folder.mkdir()
        save_file(tiny_weights, str(folder / "model.safetensors"))
        (folder / "config.json").write_text(json.dumps(config))  # NaN written as NaN
        try:
            encoder = load_encoder(folder)
        except CheckpointError as error:
            assert str(error)
            return
    assert isinstance(encoder, Encoder) and encoder.embedding_dim == config["embedding_dim"]
