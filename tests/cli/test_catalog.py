"""Tests of ``python -m skill index`` and ``search``."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from skill.paths import PROJECT_DIR
from tests.shapes import hold_catalog_lock, write_shapes


def test_index_then_search(cli_photos, tiny_encoder_dir, run_cli, tmp_path):
    photos, catalog = cli_photos, tmp_path / "cat"
    code, out, _ = run_cli(
        "index", "--images", photos, "--catalog", catalog, "--csv", photos / "catalog.csv",
        "--encoder", tiny_encoder_dir, "--map", "pca", "--batch-size", 8,
    )  # fmt: skip
    assert code == 0
    assert "32 photos indexed" in out and "tiny-random: 32 embedded, 0 reused" in out

    code, out, _ = run_cli(
        "search", photos / "square-green-1.jpg", "--catalog", catalog, "-k", 2, "--json"
    )
    assert code == 0
    hits = json.loads(out)
    assert {h["query"] for h in hits} == {str(photos / "square-green-1.jpg")}
    assert hits[0]["item_id"] == "square-green-1" and hits[0]["design_id"] == "square"
    assert hits[0]["group"] == "same design"
    assert {h["design_id"] for h in hits if h["group"] == "same design"} == {"square"}

    code, out, _ = run_cli("search", photos / "square-green-1.jpg", "--catalog", catalog)
    assert code == 0 and "This design in other colours: square" in out

    code, out, _ = run_cli(
        "index", "--images", photos, "--catalog", catalog, "--map", "pca",
        "--encoder", tiny_encoder_dir,
    )  # fmt: skip
    assert code == 0 and "tiny-random: 0 embedded, 32 reused" in out


def test_search_with_no_usable_photo_exits_2(cli_catalog, run_cli, tmp_path):
    (tmp_path / "bad.jpg").write_bytes(b"junk")
    code, _, err = run_cli("search", tmp_path / "bad.jpg", "--catalog", cli_catalog)
    assert code == 2 and "no usable query photo" in err and "skipped" in err


def _index(run_cli, images, catalog, encoder, *flags):
    return run_cli(
        "index", "--images", images, "--catalog", catalog, "--encoder", encoder, "--map", "pca",
        *flags,
    )  # fmt: skip


def _rows(catalog):
    from skill.catalog.store import open_catalog

    return len(open_catalog(catalog).items)


@pytest.fixture
def small_catalog(tmp_path, tiny_encoder_dir, run_cli):
    photos = tmp_path / "photos"
    write_shapes(photos)
    code, _, _ = _index(
        run_cli, photos, tmp_path / "cat", tiny_encoder_dir, "--csv", photos / "catalog.csv"
    )
    assert code == 0
    return tmp_path / "cat", photos


def test_indexing_an_empty_folder_exits_2_and_leaves_the_catalog(
    tmp_path, small_catalog, tiny_encoder_dir
):
    catalog, _ = small_catalog
    live = (catalog / "CURRENT").read_text()
    (tmp_path / "EMPTY").mkdir()
    command = [
        sys.executable, "-m", "skill", "index", "--images", str(tmp_path / "EMPTY"),
        "--catalog", str(catalog), "--encoder", str(tiny_encoder_dir),
    ]  # fmt: skip
    for _ in range(2):
        done = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().splitlines()[-1] == (
            "error: nothing to index in 'EMPTY': no photo found; the catalog is unchanged"
        )
    assert (catalog / "CURRENT").read_text() == live and _rows(catalog) == 16
    assert len(list(catalog.glob("v-*"))) == 1


def test_a_second_folder_is_added_and_replace_needs_allow_shrink(
    tmp_path, small_catalog, tiny_encoder_dir, run_cli
):
    catalog, _ = small_catalog
    more = tmp_path / "more"
    write_shapes(more, shapes=("circle",), fills=("Red",), csv_name=None)
    (more / "circle-red-0.jpg").rename(more / "extra.jpg")
    code, out, _ = _index(run_cli, more, catalog, tiny_encoder_dir, "--dry-run")
    assert code == 0 and out.startswith("would adds ") and "1 new photos" in out
    assert _rows(catalog) == 16  # a dry run writes nothing
    code, out, _ = _index(run_cli, more, catalog, tiny_encoder_dir)
    assert code == 0 and "17 photos indexed" in out and "1 new" in out and _rows(catalog) == 17

    code, _, err = _index(run_cli, more, catalog, tiny_encoder_dir, "--replace")
    assert code == 2 and _rows(catalog) == 17
    assert "would remove 16 of the catalog's 17 photos" in err and "--allow-shrink" in err
    code, out, _ = _index(run_cli, more, catalog, tiny_encoder_dir, "--replace", "--allow-shrink")
    assert code == 0 and _rows(catalog) == 1


def test_a_build_while_another_runs_exits_2_naming_it(small_catalog, tiny_encoder_dir, run_cli):
    catalog, photos = small_catalog
    holder = hold_catalog_lock(catalog, 120)
    try:
        code, _, err = _index(run_cli, photos, catalog, tiny_encoder_dir)
        assert code == 2 and f"pid {holder.pid}" in err and "--wait SECONDS" in err
        code, _, err = _index(run_cli, photos, catalog, tiny_encoder_dir, "--wait", "0.5")
        assert code == 2 and "waited 0.5 s" in err
    finally:
        holder.kill()
        holder.wait()
    code, out, _ = _index(run_cli, photos, catalog, tiny_encoder_dir)
    assert code == 0 and "recovered the lock" in out and "0 embedded, 16 reused" in out


def test_one_call_searches_each_photo_of_a_folder_or_them_all_as_one_product(
    cli_photos, cli_catalog, run_cli, tmp_path
):
    import shutil

    folder = tmp_path / "queries"
    folder.mkdir()
    for name in ("square-green-1.jpg", "cross-red-0.jpg"):
        shutil.copy(cli_photos / name, folder / name)
    code, out, _ = run_cli("search", folder, cli_photos / "triangle-blue-1.jpg",
                           "--catalog", cli_catalog, "-k", 1, "--json")  # fmt: skip
    assert code == 0
    hits = json.loads(out)
    queries = list(dict.fromkeys(h["query"] for h in hits))
    assert [Path(q).name for q in queries] == [
        "cross-red-0.jpg", "square-green-1.jpg", "triangle-blue-1.jpg"
    ]  # fmt: skip
    for query in queries:  # each photo is its own search: its own design comes first
        first = next(h for h in hits if h["query"] == query)
        assert first["group"] == "same design" and first["design_id"] in Path(query).name
    code, out, _ = run_cli("search", folder, "--catalog", cli_catalog, "--one-product", "--json")
    assert code == 0 and len({h["query"] for h in json.loads(out)}) == 1
    code, out, _ = run_cli("search", folder, "--catalog", cli_catalog)
    assert code == 0 and out.count("== ") == 2 and out.count("Similar designs:") == 2


def test_a_search_with_an_exported_encoder_loads_no_torch(cli_photos, cli_catalog, tmp_path):
    import os
    import subprocess
    import sys

    from skill.paths import PROJECT_DIR

    code = (
        "import sys; from skill.cli import main; "
        f"main(['search', {str(cli_photos / 'square-green-1.jpg')!r}, "
        f"'--catalog', {str(cli_catalog)!r}, '--json']); "
        "print('torch' in sys.modules)"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # the ONNX export goes under tmp_path
    runs = [
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    first, second = (run.stdout.strip().rsplit("\n", 1) for run in runs)
    assert list(tmp_path.glob("skill-onnx/*.json"))  # the first search left the export's card
    assert first[1] == "True" and second[1] == "False"  # the second needed no torch...
    a, b = json.loads(first[0]), json.loads(second[0])
    assert [h["item_id"] for h in a] == [h["item_id"] for h in b]  # ...for the same results
    assert [h["score"] for h in a] == [h["score"] for h in b]
