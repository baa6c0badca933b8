"""Promises of the Catalogs tab (ui/catalogs.py): honest build summaries and demo panel."""

from tests.ui.apptest import APP


def test_summary_counts_photos_per_encoder_not_photos_times_encoders():
    from ui.catalogs import per_encoder

    label, value, details = per_encoder("Newly embedded", {"skill-design": 300, "colour": 300})
    assert (label, value) == ("Newly embedded (each of 2 encoders)", "300")  # was "600"
    assert details == "skill-design: 300 photos; colour: 300 photos"
    assert per_encoder("Reused", {"skill-design": 12})[:2] == ("Reused", "12")
    label, value, _ = per_encoder("Newly embedded", {"a": 300, "b": 12})  # b's cache had most
    assert (label, value) == ("Newly embedded (photos × encoders)", "312")


def test_first_run_panel_states_the_demo_size(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from skill.demo import DemoConfig
    from skill.demo.builder import demo_photo_count

    monkeypatch.setenv("SKILL_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    assert f"renders {demo_photo_count(DemoConfig()):,} product photos of 300 designs" in text
    assert "a few thousand" not in text
