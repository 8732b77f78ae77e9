"""Moving GAN weights between minigan and other frameworks: a documented .npz layout.

A weights file is a plain .npz (np.load reads it, no minigan needed) with one array per
parameter, named "<net>/<layer>/<param>", in minigan's layout:

    G/dense1/w (100, 128)   G/dense1/b (128,)      Dense kernels are (in, out): y = x @ w + b
    G/dense2/w (128, 256)   G/dense2/b (256,)
    G/dense3/w (256, 512)   G/dense3/b (512,)
    G/dense4/w (512, 784)   G/dense4/b (784,)      reshaped to (28, 28, 1) images, row-major
    D/conv1/w  (3, 3, 1, 128)    D/conv1/b (128,)  Conv kernels are (KH, KW, C_in, C_out),
    D/conv2/w  (3, 3, 128, 256)  D/conv2/b (256,)  images NHWC, as in Keras
    D/conv3/w  (3, 3, 256, 512)  D/conv3/b (512,)
    D/dense/w  (512, 1)          D/dense/b (1,)
Recipes with BatchNorm in G drop G/dense{1,2,3}/b (a bias before BatchNorm has no effect)
and add, per hidden layer i, G/bn{i}/gamma, G/bn{i}/beta,
G/bn{i}/moving_mean and G/bn{i}/moving_var (F,) (PyTorch: weight, bias, running_mean,
running_var; note PyTorch's momentum is 1 - Keras' momentum).
Recipes with spectral normalisation in D add, per D layer, D/<layer>/sn_u (C_out,) and
D/<layer>/sn_v (fan_in,): the power iteration's singular vectors (kernels/cpu/spectral_norm.py).
Recipes with a moving average of G (g_ema_decay > 0) add the averaged generator under
G_ema/..., with exactly G's names and shapes (G_ema/dense1/w, G_ema/bn1/moving_mean, ...).

To PyTorch (nn.Linear keeps (out, in); nn.Conv2d keeps (C_out, C_in, KH, KW), images NCHW):
    linear.weight = w.T                     conv.weight = w.transpose(3, 2, 0, 1)
    (G's 784 outputs map to a (1, 28, 28) NCHW image unchanged, since C = 1; D's flatten
    sees a 1x1x512 map, where NHWC and NCHW orders agree.) These are the same numbers
    Keras stores, so Keras' layer.set_weights([w, b]) takes the arrays as they are.
"""

import dataclasses

import numpy as np

from minigan import backends, validate
from minigan.checkpoint import load_checkpoint
from minigan.config import TrainConfig
from minigan.files import atomic_write
from minigan.gan import GAN
from minigan.recipes import RECIPES
from minigan.validate import CheckpointError, checkpoint_arrays

CHECKPOINT_FORMAT = "minigan-gan-checkpoint-1"
WEIGHTS_FORMAT = "minigan-gan-weights-1"


def export_weights(gan, path):
    arrays = {k: gan.ops.to_host(v) for k, v in gan.named_arrays().items()}
    atomic_write(path, lambda f: np.savez(f, **arrays))


def import_weights(gan, path_or_arrays):
    """Load weights (a path or a dict in the layout above) into ``gan``; optimizer state untouched."""
    if isinstance(path_or_arrays, dict):
        arrays = path_or_arrays
    else:
        with np.load(path_or_arrays, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    gan.load_state(arrays, with_optimizers=False)


def build_gan(config, rng, world=None, ops=None):
    """ops: a kernel namespace in place of the device's (train --kernels: minigan/lab/kernels.py)."""
    return GAN(config.recipe_spec(), rng, ops or backends.get(config.device), np.dtype(config.dtype),
               config.lr, config.beta1, config.beta2, config.eps, world=world, precision=config.precision)


def load_gan(path, device=None, precision=None):
    """A run's checkpoint.npz or weights_epoch_NNN.npz -> (GAN with its weights, config, meta),
    on the device it was trained on unless ``device`` says otherwise, at ``precision`` if given
    (else the run's own)."""
    arrays, meta = load_checkpoint(path)
    if meta.get("format") not in (CHECKPOINT_FORMAT, WEIGHTS_FORMAT):
        raise CheckpointError(f"{path} is not a GAN checkpoint (format {meta.get('format')!r}); "
                         f"pass a run's checkpoint.npz or weights_epoch_NNN.npz")
    config = config_from_meta(meta, path)
    if device:
        config.device = device
    if precision:
        config.precision = validate.precision(precision, config.dtype, config.device)
    gan = build_gan(config, np.random.default_rng(0))
    # a checkpoint carries Adam's state and dropout's counts beside the weights: all are checked, the weights loaded
    expected = gan.state() if meta["format"] == CHECKPOINT_FORMAT else {
        k: gan.ops.to_host(v) for k, v in gan.named_arrays().items()}
    checkpoint_arrays(path, arrays, expected)
    gan.load_state(arrays, with_optimizers=False)
    return gan, config, meta


def run_meta(config, epoch, **more):
    """The metadata of a run's files: the config, and every field of the recipe it trains, so
    a file keeps its recipe when a named recipe is later redefined."""
    return {"epoch": epoch, "config": dataclasses.asdict(config), "recipe": dataclasses.asdict(config.recipe_spec()),
            **more}


def config_from_meta(meta, path):
    """The TrainConfig a file was written with. Its recipe_changes are restated against today's
    named recipe, so the config gives the file's own recipe back (files from before "recipe"
    was recorded are read by name and changes alone). path: the file, which an unreadable
    config is refused by name."""
    try:
        config = TrainConfig(**meta["config"])
        if "recipe" in meta:
            named = dataclasses.asdict(RECIPES[config.recipe])
            config.recipe_changes = {k: v for k, v in meta["recipe"].items() if named[k] != v}
    except (KeyError, TypeError) as err:  # a field or recipe this minigan does not know, or none at all
        raise CheckpointError(f"{path}: its config cannot be read ({type(err).__name__}: {err}); it was written by "
                              f"another version of minigan, or edited") from None
    return config
