"""Training the attribute model: frozen features once, heads side by side, thresholds, export.

- :mod:`skill.train.attributes.config`: :class:`AttributeTrainConfig` and its presets;
- :mod:`skill.train.attributes.features`: features of every photo, clean and on clutter;
- :mod:`skill.train.attributes.trainer`: the heads trained on the same features and budget;
- :mod:`skill.train.attributes.calibration`: per-label thresholds on held-out training designs;
- :mod:`skill.train.attributes.export`: the winner as a shipped model folder.
"""
