"""The colour-variant encoders: triplet, ATL, part-contrastive and SimCLR.

:mod:`~skill.train.variants.config` (settings and presets), :mod:`~skill.train.variants.methods`
(what each method learns from), one module per recipe (:mod:`~skill.train.variants.head_recipe`
for ``cpu``, :mod:`~skill.train.variants.bank`, :mod:`~skill.train.variants.finetune` for
``gpu``), and the pieces they share: frozen features, views, the P x K sampler, head training
and the export.
"""
