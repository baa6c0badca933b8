"""Tests of ``python -m skill index`` and ``search``."""

import json
from pathlib import Path


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
