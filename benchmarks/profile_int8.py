"""Where int8 gains and where it does not: float and int8 ONNX time by kind of layer.

For each encoder: the float ONNX export and the int8 model a build makes on this CPU
(:func:`skill.encoders.quantize.create_int8_encoder`, calibrated on a seeded sample of
*training* photos, its fallback included), profiled by ONNX Runtime on one ready batch of
validation photos (:mod:`skill.encoders.layer_times`). The convolutions run in the same order
in both graphs, so each kind of layer's int8 speed-up is read off: the convolutions kept in
float, depthwise ones by kernel size, pointwise ones, and the changes of number format and
memory layout int8 adds. Then both models timed as a build runs them (``time_models``).

    python benchmarks/profile_int8.py --encoders colour-variants imagenet-lite0
    python benchmarks/profile_int8.py --encoders colour-variants --layers   # every convolution
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_ingest import describe_machine, time_models
from bench_quantize import validation_and_calibration

from skill.encoders.embedding import prepare
from skill.encoders.layer_times import convolution_pairs, layer_times
from skill.encoders.onnx import create_onnx_encoder
from skill.encoders.quantize import AGREEMENT_PHOTOS, create_int8_encoder, model_record
from skill.encoders.registry import create_encoder


def groups(pairs, float_layers, int8_layers) -> dict[str, list[float]]:
    """[float ms, int8 ms, int8 graph's nodes] per kind of layer: the convolutions paired, the
    nodes between them (format and layout changes, other nodes) summed over each graph."""
    rows: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for f, q in pairs:
        if not q.int8:
            name = "convolutions kept in float"
        else:
            size = "x".join(map(str, f.kernel))
            name = f"{f.kind} {size}, int8" if f.kind == "depthwise" else f"{f.kind}, int8"
        rows[name][0] += f.ms
        rows[name][1] += q.ms
        rows[name][2] += 1
    for column, layers in enumerate((float_layers, int8_layers)):
        for layer in layers:
            if layer.kind in ("conversion", "other"):
                name = "format/layout changes" if layer.kind == "conversion" else "other nodes"
                rows[name][column] += layer.ms
                rows[name][2] += column
    return dict(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoders", nargs="+", default=["colour-variants", "imagenet-lite0"])
    parser.add_argument("--calibration-photos", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--runs", type=int, default=5, help="profiled runs (mean)")
    parser.add_argument("--rounds", type=int, default=7, help="timing rounds (median)")
    parser.add_argument("--layers", action="store_true", help="print every convolution")
    args = parser.parse_args()

    print(f"machine: {describe_machine()}")
    print(f"command: python {' '.join(sys.argv)}")
    _, paths, calibration = validation_and_calibration(
        args.batch_size, args.calibration_photos + AGREEMENT_PHOTOS
    )
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        for encoder_name in args.encoders:
            encoder = create_encoder(encoder_name).eval()
            float_model = create_onnx_encoder(encoder, cache_dir=tmp, spinning=False)
            int8_model = create_int8_encoder(
                encoder, calibration, Path(tmp) / f"{encoder_name}-int8", spinning=False
            )
            record = model_record(int8_model.path.parent)
            batch = torch.stack([prepare(p, encoder) for p in paths])
            floats = layer_times(float_model.path, batch.numpy(), args.runs, threads)
            int8s = layer_times(int8_model.path, batch.numpy(), args.runs, threads)
            pairs = convolution_pairs(floats, int8s)
            speeds = time_models({"float": float_model, "int8": int8_model}, batch, args.rounds)
            print(
                f"\n{encoder_name} ({encoder.preprocess.input_size} px, batch {len(batch)}): "
                f"int8 keeps its first {record['float_convolutions']} convolutions in float "
                f"(agreement {record['agreement']['cosine_mean']:.4f}); "
                f"load {os.getloadavg()[0]:.1f}"
            )
            if args.layers:
                for i, (f, q) in enumerate(pairs):
                    print(
                        f"  {i:3d} {f.kind:<10}{'x'.join(map(str, f.kernel)):<5}"
                        f"{'int8' if q.int8 else 'float':<6}{f.ms:8.1f}{q.ms:8.1f} ms"
                        f"{f.ms / max(q.ms, 1e-9):7.2f}x"
                    )
            total_f, total_q = sum(x.ms for x in floats), sum(x.ms for x in int8s)
            print(
                f"  {'layers':<30}{'n':>4}{'float ms':>10}{'int8 ms':>10}{'x float':>9}"
                f"{'of int8 time':>14}"
            )
            for name, (f_ms, q_ms, count) in groups(pairs, floats, int8s).items():
                ratio = f"{f_ms / q_ms:.2f}" if f_ms and q_ms else ""
                print(
                    f"  {name:<30}{count:>4}{f_ms:>10.1f}{q_ms:>10.1f}{ratio:>9}"
                    f"{100 * q_ms / total_q:>13.1f}%"
                )
            print(
                f"  {'all nodes (kernel time)':<30}{'':>4}{total_f:>10.1f}{total_q:>10.1f}"
                f"{total_f / total_q:>9.2f}"
            )
            print(
                f"  timed as a build runs them: float {speeds['float']:.1f} -> int8 "
                f"{speeds['int8']:.1f} photos/s ({speeds['int8'] / speeds['float']:.2f}x)"
            )


if __name__ == "__main__":
    main()
