"""Training recipes: what a run may change about the documented setup (docs/deviations.md says why).

A recipe is a frozen dataclass of the departures the ablation measured; `documented` is the
listing with its bugs fixed, `default` the fewest departures found to hold varied, sharp
digits, `sharp` every departure that made them sharper. `train --set FIELD=VALUE` changes
one field of a named recipe (parse_recipe_change).
"""

import dataclasses
from dataclasses import dataclass

from minigan.validate import UsageError


@dataclass(frozen=True)
class Recipe:
    """What a recipe may change about the documented setup (docs/deviations.md says why)."""

    g_activation: str = "relu"
    d_activation: str = "relu"
    g_batchnorm: bool = False
    d_dropout: float = 0.0
    d_minibatch_std: bool = False
    real_label: float = 1.0
    d_lr_scale: float = 1.0  # D's learning rate as a multiple of G's
    g_ema_decay: float = 0.0  # > 0: keep a moving average of G's weights and sample from it (minigan/gan.py)
    d_spectral_norm: bool = False  # every D kernel divided by its largest singular value (minigan/layers.py)


def parse_recipe_change(text):
    """"field=value" (train --set) -> (field, value typed as the Recipe field is)."""
    fields = {f.name: f.type for f in dataclasses.fields(Recipe)}
    name, sep, value = text.partition("=")
    if not sep or name not in fields:
        raise UsageError(f"--set takes FIELD=VALUE with FIELD one of {', '.join(fields)}; got {text!r}")
    kind = fields[name]
    if kind is bool:
        if value.lower() not in ("true", "false", "1", "0"):
            raise UsageError(f"--set {name}: expected true or false, got {value!r}")
        return name, value.lower() in ("true", "1")
    try:
        return name, kind(value)
    except ValueError:
        raise UsageError(f"--set {name}: expected a number, got {value!r}") from None


RECIPES = {
    # Exactly the documented models and loss (with the listing's bugs fixed): collapses.
    "documented": Recipe(),
    # The fewest departures found to hold varied, sharp digits to epoch 50 on every seed
    # (docs/deviations.md): one, spectral normalisation of every D kernel.
    "default": Recipe(d_spectral_norm=True),
    # Sharper digits for three more departures (docs/deviations.md): BatchNorm in G,
    # LeakyReLU(0.2) in G and D, spectral normalisation, and samples drawn from a moving
    # average of G's weights (decay 0.999).
    "sharp": Recipe(g_activation="leaky_relu", d_activation="leaky_relu", g_batchnorm=True, d_spectral_norm=True,
                    g_ema_decay=0.999),
}
