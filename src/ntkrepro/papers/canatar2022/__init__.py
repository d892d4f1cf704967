"""Canatar & Pehlevan, "A kernel analysis of feature learning in deep neural networks" (Allerton
2022). A grid of residual CNNs (skip × augmentation × batch size × optimizer × learning rate) trained
with MSE on one-hot targets; the centred alignment (CKA) of each probed layer's kernel with the target
kernel and with the input kernel, per model and per layer, and the Pearson correlations of the
hyperparameters with the metrics. Its items go to figures/canatar2022/: fig1, fig2, fig6, table1."""

from .common import SCHEMA, scale_text as scale  # noqa: F401

KEY = "canatar2022"
TITLE = "A kernel analysis of feature learning in deep neural networks (Canatar, Pehlevan, Allerton 2022)"
FOLDER = "figures/canatar2022"
