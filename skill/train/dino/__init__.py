"""The design encoders: DINO self-distillation with SkiLL's colour space, or DINO's own.

:mod:`~skill.train.dino.config` (settings and presets), :mod:`~skill.train.dino.methods` (what
sets SkiLL and the plain-DINO ablation apart), :mod:`~skill.train.dino.views` (their view
spaces), :mod:`~skill.train.dino.trainer` (the loop), and one module for each piece it uses:
the model, the photos, the banks, prototype seeding, whitening, evaluation and the model card.
"""
