"""Tests of skill/cli/common.py: the tqdm progress bar of every command."""

import time

from skill.cli.common import ProgressBar


def test_a_bar_created_mid_stage_shows_an_honest_rate_in_units_per_second():
    bar = ProgressBar()
    try:
        bar("reading colours", 64, 300)  # the first report of this stage comes at 64
        time.sleep(0.3)
        bar("reading colours", 96, 300)
        text = str(bar._bar)
        rate = float(text.rsplit(", ", 1)[1].split(" photos/s")[0])
        assert 20 < rate < 200  # 32 photos in about 0.3 s, not 64 photos in no time at all
        bar("embedding", 0, 300)
        time.sleep(1.2)
        bar("embedding", 1, 300)  # slower than one a second: still photos/s, never s/photo
        assert " photos/s]" in str(bar._bar) and "s/ photos" not in str(bar._bar)
    finally:
        bar.close()


def test_a_stage_in_seconds_shows_elapsed_against_its_estimate():
    bar = ProgressBar()
    try:
        bar("mapping x: neighbour graph", 3, 25, "s")
        assert str(bar._bar).endswith("| 3 s of about 25 s")
        bar("mapping x: neighbour graph", 30, 25, "s")  # past the estimate: the total follows
        assert str(bar._bar).endswith("| 30 s of about 30 s")
    finally:
        bar.close()
