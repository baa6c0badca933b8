"""Tests of skill.cli's parser and main(): every command's help, bad input, ``python -m skill``."""

import argparse
import subprocess
import sys

import pytest

from skill.cli import build_parser, main
from skill.paths import PROJECT_DIR

COMMANDS = [
    "encoders", "index", "search", "eval", "split", "calibrate", "demo", "train", "clusters",
    "trends", "label", "attributes", "attributes-train",
]  # fmt: skip


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(subparsers.choices)


def test_every_command_is_registered_in_order():
    assert _commands(build_parser()) == COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command(command, capsys):
    with pytest.raises(SystemExit) as exit:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert exit.value.code == 0
    assert out.startswith(f"usage: python -m skill {command} ")


def test_index_help_states_the_int8_floor_and_fallback_target_the_build_uses(capsys):
    from skill.encoders.quantize import MIN_AGREEMENT, QuantizeConfig

    with pytest.raises(SystemExit):
        main(["index", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert f"(default {MIN_AGREEMENT})" in help_text
    assert f"below {QuantizeConfig().fallback_agreement} (or this, if higher)" in help_text


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit.value.code == 0
    assert all(command in out for command in COMMANDS)


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
def test_errors_exit_2_with_one_line(cli_photos, run_cli, tmp_path, argv, message):
    argv = [a.format(tmp=tmp_path, photos=cli_photos) for a in argv]
    code, _, err = run_cli(*argv)
    assert code == 2
    assert err.count("error: ") == 1
    before, line = err.split("error: ")
    assert message in line.split("\n")[0] and "Traceback" not in err
    # A progress bar drawn before the error is wiped (tqdm ends it with "\r<spaces>\r"),
    # so the error starts a clean line instead of trailing a half-drawn bar.
    assert before == "" or (before.endswith("\r") and before.split("\r")[-2].strip() == "")


def test_python_m_skill_runs(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "skill", "search", "x.jpg", "--catalog", str(tmp_path / "none")],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: no catalog at")


def test_help_loads_no_heavy_library():
    # Handlers import the library; building the parser must not (python -m skill --help
    # stays a fraction of a second).
    code = (
        "import sys; from skill.cli import build_parser; build_parser(); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'numpy', 'pandas', 'torch', 'timm', 'tqdm', 'faiss', 'umap', 'sklearn'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_an_unsafe_checkpoint_config_is_one_line_and_exit_2(tmp_path, tiny_encoder_dir, run_cli):
    import json
    import shutil

    bad = tmp_path / "bad-encoder"
    shutil.copytree(tiny_encoder_dir, bad)
    config = json.loads((bad / "config.json").read_text())
    config["backbone_kwargs"] = {"checkpoint_path": "/etc/passwd"}
    (bad / "config.json").write_text(json.dumps(config))
    (tmp_path / "photos").mkdir()
    from tests.shapes import write_shapes

    write_shapes(tmp_path / "photos", shapes=("circle",), csv_name=None)
    code, _, err = run_cli(
        "index", "--images", tmp_path / "photos", "--catalog", tmp_path / "cat", "--encoder", bad
    )
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2 and len(errors) == 1 and "Traceback" not in err
    assert "backbone_kwargs 'checkpoint_path' is not allowed" in errors[0]
    assert not (tmp_path / "cat" / "CURRENT").exists()
