"""Tests of skill.encoders.cpu: which int8 instructions the CPU's flags name."""

import pytest

from skill.encoders import cpu


@pytest.fixture(autouse=True)
def _fresh():
    cpu.int8_instructions.cache_clear()
    yield
    cpu.int8_instructions.cache_clear()


def _pretend(monkeypatch, machine: str, flags: str | None) -> None:
    monkeypatch.setattr(cpu.platform, "machine", lambda: machine)
    monkeypatch.setattr(cpu, "_cpu_flags", lambda: None if flags is None else set(flags.split()))


@pytest.mark.parametrize(
    ("machine", "flags", "expected"),
    [
        ("x86_64", "fpu sse2 avx2 fma", "avx2"),
        ("x86_64", "fpu avx2 avx512f avx512_vnni", "vnni"),
        ("x86_64", "fpu avx2 avx_vnni", "vnni"),
        ("x86_64", "fpu sse2", "other"),
        ("x86_64", None, "other"),
        ("aarch64", "fp asimd asimddp", "other"),
    ],
)
def test_int8_instructions_follow_the_flags(monkeypatch, machine, flags, expected):
    _pretend(monkeypatch, machine, flags)
    assert cpu.int8_instructions() == expected
    assert cpu.saturates_int8() == (expected == "avx2")


def test_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu avx2 avx512_vnni\n\n")
    assert cpu._cpu_flags(info) == {"fpu", "avx2", "avx512_vnni"}
    assert cpu._cpu_flags(tmp_path / "missing") is None
    (tmp_path / "empty").write_text("processor\t: 0\n")
    assert cpu._cpu_flags(tmp_path / "empty") is None
