"""What this CPU offers int8 inference, as ONNX Runtime's kernels use it.

On x86-64, ONNX Runtime multiplies uint8 activations by int8 weights with ``VPMADDUBSW`` where
the CPU has no VNNI instruction: each pair of products is summed in 16 bits and saturates, so
a layer whose inputs and weights are both large (above all the first convolution, which sees
raw pixels over the full 8-bit range) loses precision. With AVX-512 VNNI or AVX-VNNI the sums
are 32-bit and exact. ARM's dot-product instructions accumulate in 32 bits too.
:mod:`skill.encoders.quantize` keeps the saturating layers in float on such CPUs
(``docs/scale.md`` has the figures).

Example:
    >>> int8_instructions()
    'avx2'
"""

from __future__ import annotations

import functools
import platform
from pathlib import Path

VNNI_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")
"""``/proc/cpuinfo`` flags of x86 instructions that sum int8 products in 32 bits."""


@functools.cache
def int8_instructions() -> str:
    """``vnni`` (x86 with 32-bit int8 sums), ``avx2`` (x86 without: 16-bit sums that can
    saturate), or ``other`` (another architecture, or an x86 CPU that cannot be read)."""
    if platform.machine().lower() not in ("x86_64", "amd64", "i686", "x86"):
        return "other"
    flags = _cpu_flags()
    if flags is None:
        return "other"
    if any(flag in flags for flag in VNNI_FLAGS):
        return "vnni"
    return "avx2" if "avx2" in flags else "other"


def saturates_int8() -> bool:
    """Whether ONNX Runtime's uint8 x int8 products saturate on this CPU."""
    return int8_instructions() == "avx2"


def _cpu_flags(path: Path = Path("/proc/cpuinfo")) -> set[str] | None:
    try:
        text = path.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return None
