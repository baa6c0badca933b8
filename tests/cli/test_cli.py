"""Tests of skill.cli, run in-process (and once as a real ``python -m skill``)."""

import json
import subprocess
import sys

import pytest

from skill.cli import main
from skill.paths import PROJECT_DIR
from tests.shapes import save_tiny_encoder, write_shapes

ROOT = PROJECT_DIR


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    encoder = save_tiny_encoder(root / "tiny-random")
    write_shapes(root / "photos", copies=2)
    return root, encoder


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_encoders_lists_the_builtins(capsys):
    code, out, _ = _run(capsys, "encoders")
    assert code == 0
    assert "imagenet-lite0" in out and "baseline" in out


def test_index_then_search_then_eval(setup, capsys, tmp_path):
    root, encoder = setup
    photos, catalog = root / "photos", tmp_path / "cat"
    code, out, _ = _run(
        capsys, "index", "--images", photos, "--catalog", catalog, "--csv",
        photos / "catalog.csv", "--encoder", encoder, "--map", "pca", "--batch-size", 8,
    )  # fmt: skip
    assert code == 0
    assert "32 photos indexed" in out and "tiny-random: 32 embedded, 0 reused" in out

    code, out, _ = _run(
        capsys, "search", photos / "square-green-1.jpg", "--catalog", catalog, "-k", 2, "--json"
    )
    assert code == 0
    hits = json.loads(out)
    assert hits[0]["item_id"] == "square-green-1" and hits[0]["design_id"] == "square"
    assert hits[0]["group"] == "same design"
    assert {h["design_id"] for h in hits if h["group"] == "same design"} == {"square"}

    code, out, _ = _run(capsys, "search", photos / "square-green-1.jpg", "--catalog", catalog)
    assert code == 0 and "This design in other colours: square" in out

    code, out, _ = _run(
        capsys, "eval", "--images", photos, "--csv", photos / "catalog.csv", "--encoder",
        encoder, "--invariance-sample", 4, "--json",
    )  # fmt: skip
    assert code == 0
    figures = json.loads(out)
    for key in ("hit@1", "hit@5", "hit@10", "mAP", "color_invariance"):
        assert 0.0 <= figures[key] <= 1.0, key
    assert figures["queries"] == 32 and figures["gallery"] == 32

    code, out, _ = _run(
        capsys, "index", "--images", photos, "--catalog", catalog, "--map", "pca",
        "--encoder", encoder,
    )  # fmt: skip
    assert code == 0 and "tiny-random: 0 embedded, 32 reused" in out


def test_split_is_design_disjoint(setup, capsys, tmp_path):
    root, _ = setup
    code, out, _ = _run(
        capsys, "split", "--csv", root / "photos" / "catalog.csv", "--val-fraction", 0.25,
        "--out", tmp_path / "split",
    )  # fmt: skip
    assert code == 0 and "train:" in out
    import pandas as pd

    train = pd.read_csv(tmp_path / "split" / "train.csv")
    val = pd.read_csv(tmp_path / "split" / "val.csv")
    assert len(train) + len(val) == 32 and len(val) > 0
    assert not set(train["design_id"]) & set(val["design_id"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["index", "--images", "{tmp}/none", "--catalog", "{tmp}/cat"], "images folder not found"),
        (["search", "{photos}/circle-red-0.jpg", "--catalog", "{tmp}/none"], "no catalog at"),
        (["eval", "--images", "{photos}", "--csv", "{photos}/catalog.csv", "--color-col", "hue"],
         "'hue'"),
        (["split", "--csv", "{tmp}/none.csv", "--out", "{tmp}/out"], "CSV not found"),
        (["index", "--images", "{photos}", "--catalog", "{tmp}/cat", "--encoder", "nope"],
         "unknown encoder 'nope'"),
    ],
)  # fmt: skip
def test_errors_exit_2_with_one_line(setup, capsys, tmp_path, argv, message):
    root, _ = setup
    argv = [a.format(tmp=tmp_path, photos=root / "photos") for a in argv]
    code, _, err = _run(capsys, *argv)
    assert code == 2
    # Progress bars may precede it; the error itself is one line.
    assert err.count("error: ") == 1
    line = err[err.index("error: ") :].split("\n")[0]
    assert message in line and "Traceback" not in err


def test_search_with_no_usable_photo_exits_2(setup, capsys, tmp_path):
    root, encoder = setup
    _run(
        capsys, "index", "--images", root / "photos", "--catalog", tmp_path / "cat", "--map",
        "pca", "--encoder", encoder,
    )  # fmt: skip
    (tmp_path / "bad.jpg").write_bytes(b"junk")
    code, _, err = _run(capsys, "search", tmp_path / "bad.jpg", "--catalog", tmp_path / "cat")
    assert code == 2 and "no usable query photo" in err and "skipped" in err


def test_python_m_skill_runs(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "skill", "search", "x.jpg", "--catalog", str(tmp_path / "none")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: no catalog at")
