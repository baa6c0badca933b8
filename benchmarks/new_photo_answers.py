"""The same-design answer on photos the catalog has never seen, on the demo catalog.

Each demo design is rendered in one colour its catalog does not sell (the right answer is that
design), and as many designs the catalog does not have are rendered too (the right answer is
none): :mod:`skill.demo.unseen`. Every photo is searched as the app searches an upload
(:func:`skill.search.search_catalog`, the rule the catalog keeps for the encoder), and the
answers are counted:

- precision: of the photos answered "this design", the share answered with the right one (an
  answer for a design the catalog lacks is wrong);
- recall: of the new colourways, the share answered with their design;
- ECE: expected calibration error of the stated probability that the best design is the
  photo's own, over every photo;
- hit@1: the new colourways whose best design is their own, answered or not.

Usage:
    python benchmarks/new_photo_answers.py                 # the demo catalog, every encoder
    python benchmarks/new_photo_answers.py --designs 100 --new-designs 100 --encoders colour-variants
    python benchmarks/new_photo_answers.py --absent-share 0   # a catalog rule refit closed-set
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python benchmarks/...` from anywhere

import numpy as np

from skill.catalog.registry import demo_catalog_dir
from skill.catalog.same_design import SameDesignRule, catalog_rule, expected_calibration_error
from skill.catalog.store import open_catalog
from skill.demo import DemoConfig
from skill.demo.unseen import new_colourways, new_designs
from skill.encoders.embedding import embed_images
from skill.encoders.registry import reopen_encoder
from skill.search import search_catalog


def refit(catalog, name: str, absent_share: float):
    """The rule the catalog would keep for ``name`` if refitted with ``absent_share``."""
    record = catalog_rule(catalog.embeddings(name), catalog.items, None, absent_share=absent_share)
    return SameDesignRule.from_dict(record) if record else None


def answers(catalog, name: str, photos, rule=None) -> dict:
    entry = catalog.manifest["encoders"][name]
    encoder = reopen_encoder(name, entry.get("source", ""))
    embedded = embed_images(encoder, [p.image for p in photos], runtime="auto")
    truth = [photos[i].design_id for i in embedded.indices]
    given, best, probability = [], [], []
    for vector in embedded.embeddings:
        answer = search_catalog(catalog, name, vector, rule=rule).answer
        best.append(answer.design_id if answer else "")
        given.append(answer.design_id if answer and answer.accepted else "")
        probability.append(answer.probability if answer and answer.probability is not None else 0.0)
    truth, given, best = np.array(truth), np.array(given), np.array(best)
    colourway = truth != ""
    answered = given != ""
    right = answered & (given == truth)
    return {
        "encoder": name,
        "rule": catalog.same_design_rule(name) is not None,
        "precision": float(right.sum() / answered.sum()) if answered.any() else float("nan"),
        "recall": float(right[colourway].mean()),
        "ece": expected_calibration_error(np.array(probability), best == truth),
        "hit@1": float((best == truth)[colourway].mean()),
        "answered_new_designs": float(answered[~colourway].mean()) if (~colourway).any() else 0.0,
        "new_colourways": int(colourway.sum()),
        "new_designs": int((~colourway).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=None, help="default: the demo catalog")
    parser.add_argument("--designs", type=int, default=None, help="first N designs (default all)")
    parser.add_argument("--new-designs", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--encoders", nargs="*", help="default: every encoder of the catalog")
    parser.add_argument(
        "--absent-share",
        type=float,
        default=None,
        help="refit each rule on the catalog with this share of queries searched without "
        "their design (default: the rule the catalog keeps; 0 is a closed-set refit)",
    )
    args = parser.parse_args()

    catalog = open_catalog(args.catalog or demo_catalog_dir())
    config = DemoConfig()
    started = time.perf_counter()
    photos = list(new_colourways(config, args.designs, args.seed))
    photos += list(new_designs(config, args.new_designs, args.seed))
    print(f"{len(photos)} unseen photos rendered in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)  # fmt: skip
    names = args.encoders or list(catalog.manifest["encoders"])
    print("| encoder | precision | recall | ECE | hit@1 | new designs answered | photos |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in names:
        rule = None if args.absent_share is None else refit(catalog, name, args.absent_share)
        row = answers(catalog, name, photos, rule)
        print(f"| `{name}` | {row['precision']:.3f} | {row['recall']:.3f} | {row['ece']:.3f} | "
              f"{row['hit@1']:.3f} | {row['answered_new_designs']:.3f} | "
              f"{row['new_colourways']} + {row['new_designs']} |")  # fmt: skip
        print(json.dumps(row), file=sys.stderr)


if __name__ == "__main__":
    main()
