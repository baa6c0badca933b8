"""Fashion attributes: labels mined from product data, and the model that predicts them.

Between :mod:`skill.encoders` (pixels -> vectors) and :mod:`skill.catalog` (vectors -> a
catalog): a catalog build stores every photo's attribute probabilities, read back by search
filters, the map and trends.

- :mod:`skill.attributes.mining`: rules that read attributes (sleeve length, neckline, hood,
  ...) out of product descriptions;
- :mod:`skill.attributes.labels`: the label vocabulary and the label matrix of a labelled CSV
  (pattern, product type, garment group, mined attributes), with which labels are known;
- :mod:`skill.attributes.trunk`: the frozen ImageNet EfficientNet-Lite0 layers the attribute
  model shares with the design encoders, and the check that an encoder shares them;
- :mod:`skill.attributes.model`: the heads (pooled baseline, masked pooling, localisation-guided
  channel attention) and the full network;
- :mod:`skill.attributes.checkpoint`: the shipped model folder, loaded strictly and validated;
- :mod:`skill.attributes.tags`: probabilities -> tags a merchandiser can trust.
"""
