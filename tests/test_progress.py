"""Tests of skill.progress: report lines, and opaque work reported from the calling thread."""

import threading
import time

import pytest

from skill.progress import SECONDS, describe, offset, run_reporting


def test_describe_counts_and_seconds():
    assert describe("embedding", 64, 1096) == "embedding: 64/1,096 photos"
    assert describe("mapping: layout", 20, 500, "epochs") == "mapping: layout: 20/500 epochs"
    assert describe("mapping", 12, 40, SECONDS) == "mapping: 12 s of about 40 s"
    assert describe("mapping", 50, 40, SECONDS) == "mapping: 50 s of about 50 s"  # over


def test_run_reporting_reports_elapsed_seconds_from_the_calling_thread():
    caller = threading.get_ident()
    reports = []

    def report(elapsed):
        reports.append((elapsed, threading.get_ident()))

    def work():
        time.sleep(0.35)
        return threading.get_ident()

    worker = run_reporting(work, report, interval=0.05)
    assert worker != caller  # the work ran elsewhere...
    assert len(reports) >= 3 and {thread for _, thread in reports} == {caller}  # ...reports here
    elapsed = [e for e, _ in reports]
    assert elapsed == sorted(elapsed) and 0.0 < elapsed[-1] < 1.0


def test_run_reporting_raises_what_the_work_raised():
    def work():
        raise KeyError("broken")

    with pytest.raises(KeyError, match="broken"):
        run_reporting(work, lambda elapsed: None, interval=0.01)


def test_offset_counts_a_part_within_its_stage():
    seen = []
    part = offset(lambda *r: seen.append(r), "embedding", 100, 300)
    part("embedding", 32, 50)
    assert seen == [("embedding", 132, 300, "photos")]
