"""Training encoders: two families of methods, one table of recipes.

Every way to train is a row of :data:`skill.train.recipes.RECIPES` (method x preset -> the
function that runs it); ``python -m skill train`` dispatches through it.

- :mod:`skill.train.dino`: the design encoders, self-distillation (DINO) with SkiLL's colour
  space or, for the ablation, DINO's own.
- :mod:`skill.train.variants`: the colour-variant encoders: triplet, ATL (adaptive triplet from
  product titles), part-contrastive and SimCLR.
- :mod:`skill.train.losses`: one loss per module, used by either family.

The two families never import each other; what both use lives here: the design split and the
image cache (:mod:`~skill.train.data`), view pieces (:mod:`~skill.train.augment`), the model
with a frozen trunk (:mod:`~skill.train.multicrop`), banks of trunk maps
(:mod:`~skill.train.view_bank`), resumable state (:mod:`~skill.train.state`), checkpoint export
(:mod:`~skill.train.export`), ``--set`` parsing (:mod:`~skill.train.settings`) and the device
(:mod:`~skill.train.device`).
"""
