"""A training run's settings (TrainConfig), checked in one place before anything runs."""

import dataclasses
from dataclasses import dataclass, field

from minigan import validate
from minigan.models import MINIBATCH_STD_GROUP
from minigan.recipes import RECIPES, Recipe


@dataclass
class TrainConfig:
    epochs: int = 50
    batch_size: int = 32
    seed: int = 0
    recipe: str = "default"
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    eps: float = 1e-8
    z_dim: int = 100
    sample_interval: int = 10
    n_samples: int = 64
    limit: int = 0  # use only the first `limit` training images (0: all 60000)
    record: int = 0  # the flight recorder's interval in steps (train --record N; minigan/record.py); 0: off
    dtype: str = "float32"
    device: str = "cpu"
    precision: str = "float32"  # or "bf16": bfloat16 products, float32 everything else (docs/precision.md)
    recipe_changes: dict = field(default_factory=dict)  # Recipe fields changed from the named recipe (--set)

    def recipe_spec(self):
        """The named recipe with recipe_changes applied."""
        return dataclasses.replace(RECIPES[self.recipe], **self.recipe_changes)

    def check(self):
        """Every setting that needs no data, before anything is written: types, ranges, finiteness."""
        for name in ("epochs", "batch_size", "sample_interval", "n_samples", "limit", "record"):
            low = 0 if name in ("epochs", "limit", "record") else 1
            validate.integer(f"--{name.replace('_', '-')}", getattr(self, name), low,
                             fix="0 uses all images" if name == "limit" else "")
        validate.seed("--seed", self.seed)
        validate.number("--lr", self.lr, 0.0, 1.0, low_open=True)
        validate.number("beta1", self.beta1, 0.0, 1.0, high_open=True)
        validate.number("beta2", self.beta2, 0.0, 1.0, high_open=True)
        validate.number("eps", self.eps, 0.0, low_open=True)
        validate.choice("--recipe", self.recipe, tuple(RECIPES))
        validate.choice("--dtype", self.dtype, ("float32", "float64"))
        validate.choice("--device", self.device, ("cpu", "cuda"))
        validate.precision(self.precision, self.dtype, self.device)
        unknown = set(self.recipe_changes) - {f.name for f in dataclasses.fields(Recipe)}
        if unknown:
            raise validate.UsageError(f"unknown recipe field(s) {', '.join(sorted(unknown))}; "
                                      f"use one of {', '.join(f.name for f in dataclasses.fields(Recipe))}")
        validate.recipe(self.recipe_spec())

    def validate(self, n_images, ranks=1):
        """Every setting, before anything runs; ranks: the processes of a data-parallel run."""
        self.check()
        spec = self.recipe_spec()
        if self.batch_size % ranks:
            fits = [b for b in (self.batch_size - self.batch_size % ranks, self.batch_size - self.batch_size % ranks + ranks) if b]
            raise validate.UsageError(f"--batch-size {self.batch_size} does not divide over {ranks} ranks (it is the "
                                      f"global batch, split evenly); use a multiple of {ranks}, e.g. "
                                      f"{' or '.join(map(str, fits))}")
        per_rank = self.batch_size // ranks
        if spec.d_minibatch_std and per_rank % MINIBATCH_STD_GROUP:
            G = MINIBATCH_STD_GROUP
            what = "--batch-size" if ranks == 1 else f"the per-rank batch (--batch-size / ranks = {self.batch_size} / {ranks})"
            raise validate.UsageError(f"minibatch stddev in D compares groups of {G} samples"
                                      f"{' within each rank' * (ranks > 1)}, so {what} must be divisible by {G}; "
                                      f"got {per_rank}. Use --batch-size a multiple of {G * ranks}")
        if self.batch_size > n_images:
            raise validate.UsageError(f"--batch-size {self.batch_size} is larger than the {n_images} training "
                                      f"images; lower it or raise --limit")
