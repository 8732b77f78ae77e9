"""One GAN training step: a discriminator step, then a generator step.

With p = sigmoid(D(x)) the probability D gives "real", and BCE the binary cross-entropy
on logits (kernels.cpu.losses):

  D step   x = [real; fake], labels [1, ..., 1, 0, ..., 0] (2B samples, real first)
           L_D = mean over the 2B samples of BCE = (L_real + L_fake) / 2
           dlogits -> D.backward -> D's gradients -> Adam moves D.
  G step   the same fake = G(z) (G has not changed since), now through the updated D,
           labelled 1: L_G = mean BCE(D(G(z)), 1) = -mean log D(G(z))  (the non-saturating
           loss; log(1 - D(G(z))) would give G no gradient once D rejects its samples)
           dlogits -> D.backward -> dL/dfake -> G.backward -> G's gradients -> Adam moves G.
           D's parameter gradients are not computed in this pass: only G moves.

The order of every kernel call is spelled out in docs/training-step.md.

With recipe.g_ema_decay > 0 the GAN also keeps G_ema, an exponential moving average of G's
weights (Polyak averaging): after every G step, shadow = decay * shadow + (1 - decay) * G,
one ema_update kernel per parameter. It never trains and never feeds back into G; sample()
draws from it. BatchNorm's moving mean and variance are not averaged: they describe the
activations of the net they were measured in, and G_ema's are not G's. They are measured
on G_ema itself (estimate_average_statistics), which the trainer does before every write
(docs/deviations.md measures the choice).
"""

import numpy as np

from minigan.distributed import World
from minigan.layers import BatchNorm, Dropout
from minigan.models import D_CHANNELS, G_WIDTHS, Z_DIM, discriminator, generator
from minigan.optim import Adam

STATISTICS_SEED = 20181  # the noise G_ema's BatchNorm statistics are measured on


class GAN:
    def __init__(self, recipe, rng, ops, dtype=np.float32, lr=2e-4, beta1=0.5, beta2=0.999, eps=1e-8,
                 g_widths=G_WIDTHS, d_channels=D_CHANNELS, world=None, precision="float32"):
        """world: the ranks of a data-parallel run (minigan/distributed.py), each train_step then
        taking this rank's shard of the batch; None is one process. precision "bf16": every
        product of G, D and G_ema on bfloat16 operands (docs/precision.md)."""
        self.recipe, self.ops, self.dtype = recipe, ops, np.dtype(dtype)
        self.world = world or World(None)
        self.G = generator(rng, ops, dtype, activation=recipe.g_activation, batchnorm=recipe.g_batchnorm,
                           widths=g_widths)
        self.D = discriminator(rng, ops, dtype, activation=recipe.d_activation, dropout=recipe.d_dropout,
                               minibatch_std=recipe.d_minibatch_std, channels=d_channels,
                               spectral_norm=recipe.d_spectral_norm)
        self.G_ema = None
        if recipe.g_ema_decay:
            # built from a throwaway RNG (its draws are overwritten), so the training RNG's stream
            # is the same with and without the average
            self.G_ema = generator(np.random.default_rng(0), ops, dtype, activation=recipe.g_activation,
                                   batchnorm=recipe.g_batchnorm, widths=g_widths)
            self.G_ema.load_params({k: ops.to_host(v) for k, v in self.G.arrays().items()})
            self.G_ema.eval_mode()
        if precision == "bf16":
            for net in (self.G, self.D, self.G_ema):
                if net is not None:
                    net.use_bf16_products()
        self.workspace = ops.Workspace()  # the step's own buffers: [real; fake], dL/dlogits
        for net in (self.G, self.D):  # G_ema samples rarely: it allocates
            net.use_workspaces()
        if self.world.parallel:
            self.share_batch_statistics()
        self.opt_g = Adam(self.G.params(), ops, lr, beta1, beta2, eps)
        self.opt_d = Adam(self.D.params(), ops, lr * recipe.d_lr_scale, beta1, beta2, eps)
        self._targets = {}

    def share_batch_statistics(self):
        """Data-parallel: G's BatchNorm takes the whole batch's statistics, D's dropout masks
        are rows of the whole batch's mask. G_ema's BatchNorm is not shared: every rank
        measures it alike on the same fixed noise (estimate_average_statistics)."""
        for layer in self.G.layers:
            if isinstance(layer, BatchNorm):
                layer.split_batch(lambda a: self.world.sum(a, self.ops))
        for layer in self.D.layers:
            if isinstance(layer, Dropout):
                layer.shard = self.world

    def averaged_grads(self, name, net, backward):
        """Run backward(layer_done) and return net's gradients: in one process net.grads(),
        under MPI their mean over the ranks, sent while the backward runs (D, with overlap)."""
        if not self.world.parallel:
            backward(None)
            return net.grads()
        flat = self.world.gradients(name, net, self.ops, self.world.overlap and name == "D")
        backward(flat.layer_done)
        return flat.finish()

    def targets(self, batch):
        """(2B, 1) D-step labels (real_label for the real half, 0 for the fake half) and (B, 1) ones."""
        if batch not in self._targets:  # made once per batch size, kept on the device
            d_targets = np.zeros((2 * batch, 1), dtype=self.dtype)
            d_targets[:batch] = self.recipe.real_label
            self._targets[batch] = (self.ops.to_device(d_targets), self.ops.to_device(np.ones((batch, 1), self.dtype)))
        return self._targets[batch]

    def d_loss_and_grads(self, real, fake):
        """L_D on [real; fake] -> (loss, logits, D's gradients); moves nothing."""
        d_targets, _ = self.targets(real.shape[0])
        logits = self.D.forward(self.ops.concat_rows(real, fake, out=self.workspace))  # (2B, 1)
        loss = self.ops.bce_with_logits_forward(logits, d_targets)
        dlogits = self.ops.bce_with_logits_backward(logits, d_targets, out=self.workspace)
        grads = self.averaged_grads("D", self.D, lambda done: self.D.backward(dlogits, input_grad=False,  # no dL/dimages
                                                                              layer_done=done))
        return loss, logits, grads

    def g_loss_and_grads(self, fake, watch=None):
        """L_G of the fake batch G produced last -> (loss, G's gradients); moves nothing.
        G.backward relies on the activations G kept when it produced ``fake``. watch: shown
        fake and dL_G/dfake (train --record)."""
        _, g_targets = self.targets(fake.shape[0])
        logits = self.D.forward(fake)  # (B, 1)
        loss = self.ops.bce_with_logits_forward(logits, g_targets)
        dfake = self.D.backward(self.ops.bce_with_logits_backward(logits, g_targets, out=self.workspace), param_grads=False)
        if watch is not None:
            watch.images(fake, dfake)
        grads = self.averaged_grads("G", self.G, lambda done: self.G.backward(dfake, input_grad=False,  # no dL/dz
                                                                              layer_done=done))
        return loss, grads

    def train_step(self, real, z, watch=None):
        """real (B, 28, 28, 1) in [-1, 1], z (B, z_dim), host arrays -> dict of d_loss, g_loss,
        d_real, d_fake (host floats). Only real and z go to the device, only the losses and the
        2B logits come back. Data-parallel, real and z are this rank's b rows of the batch,
        and the dict holds the whole batch's means. watch: a StepWatch (minigan/record.py)
        that sees the step's activations, gradients and updates, on the steps train --record
        keeps; None on the others."""
        B = real.shape[0]
        real, z = self.ops.to_device(real), self.ops.to_device(z)
        self.D.power_iteration()  # once per step (spectral norm only): both of D's passes share u, v
        fake = self.G.forward(z)  # (B, 28, 28, 1); G keeps its activations for the G step
        d_loss, logits, d_grads = self.d_loss_and_grads(real, fake)
        self.update("D", self.opt_d, d_grads, watch)
        g_loss, g_grads = self.g_loss_and_grads(fake, watch)  # through the updated D
        self.update("G", self.opt_g, g_grads, watch)
        if self.G_ema is not None:
            self.update_average()
        p = 1.0 / (1.0 + np.exp(-self.ops.to_host(logits).astype(np.float64)))  # D's probabilities before its step
        means = self.world.mean([d_loss, g_loss, p[:B].mean(), p[B:].mean()])
        return dict(zip(("d_loss", "g_loss", "d_real", "d_fake"), means))

    def update(self, name, optimizer, grads, watch):
        """Adam moves net ``name`` ("G" or "D") by grads; a watch sees the net just before (its
        caches still hold this step's forward) and just after."""
        if watch is not None:
            watch.before_update(name, getattr(self, name), grads)
        optimizer.step(grads)
        getattr(self, name).weights_moved()
        if watch is not None:
            watch.after_update(name, getattr(self, name))

    def update_average(self):
        """G_ema <- decay * G_ema + (1 - decay) * G, every parameter, in place."""
        shadow = self.G_ema.params()
        for name, value in self.G.params().items():
            self.ops.ema_update(shadow[name], value, self.recipe.g_ema_decay)
        self.G_ema.weights_moved()

    def estimate_average_statistics(self, batches=100, batch=32):
        """Set G_ema's BatchNorm moving mean and variance to the mean, over `batches` noise
        batches, of its own batch mean and (biased) variance: G_ema runs in training mode with
        momentum (k - 1) / k at the k-th batch, a cumulative average. The noise is fixed, so
        the same weights give the same statistics (resume stays bit for bit), and the training
        RNG is not touched. Without G_ema there is nothing to do."""
        if self.G_ema is None:
            return
        norms = [layer for layer in self.G_ema.layers if isinstance(layer, BatchNorm)]
        momenta = [layer.momentum for layer in norms]
        rng = np.random.default_rng(STATISTICS_SEED)
        self.G_ema.train_mode()
        try:
            for k in range(1, batches + 1):
                for layer in norms:
                    layer.momentum = (k - 1) / k
                self.G_ema.forward(self.ops.to_device(rng.standard_normal((batch, Z_DIM)).astype(self.dtype)))
        finally:
            self.G_ema.eval_mode()
            for layer, momentum in zip(norms, momenta):
                layer.momentum = momentum

    def sample(self, z, averaged=True):
        """G(z) in inference mode (BatchNorm on its running averages), as Keras' predict; from
        the averaged G when the recipe keeps one, unless averaged=False asks for the trained G.
        A new host array: G's own output buffer is overwritten by its next pass."""
        net = self.G_ema if averaged and self.G_ema is not None else self.G
        net.eval_mode()
        try:
            return np.array(self.ops.to_host(net.forward(self.ops.to_device(z))))
        finally:
            self.G.train_mode()  # G_ema stays in inference mode: it never trains

    def named_arrays(self):
        """{"G/dense1/w": array, ...}: the live parameter and buffer arrays of G, D and G_ema,
        named as a weights file names them (the layout: minigan/weights.py)."""
        arrays = {f"G/{k}": v for k, v in self.G.arrays().items()}
        arrays.update({f"D/{k}": v for k, v in self.D.arrays().items()})
        if self.G_ema is not None:
            arrays.update({f"G_ema/{k}": v for k, v in self.G_ema.arrays().items()})
        return arrays

    def state(self):
        """Every array a checkpoint needs, named G/…, D/…, G_ema/… (minigan/weights.py), opt_G/…, opt_D/…,
        and dropout/<layer>/draws."""
        arrays = {k: self.ops.to_host(v) for k, v in self.named_arrays().items()}
        arrays.update({f"opt_G/{k}": v for k, v in self.opt_g.state().items()})
        arrays.update({f"opt_D/{k}": v for k, v in self.opt_d.state().items()})
        arrays.update({f"dropout/{layer.name}/draws": np.array(layer.draws, np.int64) for layer in self.dropouts()})
        return arrays

    def dropouts(self):
        """D's Dropout layers: their counts of training calls (which key their next mask) are
        training state, kept by checkpoints beside Adam's."""
        return [layer for layer in self.D.layers if isinstance(layer, Dropout)]

    def load_state(self, arrays, with_optimizers=True):
        def part(prefix):
            return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}

        self.G.load_params(part("G/"))
        self.D.load_params(part("D/"))
        if self.G_ema is not None:
            self.G_ema.load_params(part("G_ema/"))
        if with_optimizers:
            self.opt_g.load_state(part("opt_G/"))
            self.opt_d.load_state(part("opt_D/"))
            for layer in self.dropouts():
                name = f"dropout/{layer.name}/draws"
                if name not in arrays:
                    raise ValueError(f"the checkpoint has no {name}: it was written before dropout drew its masks from "
                                     f"a counter (or without dropout), so training cannot resume as it ran; "
                                     f"start a new run, or resume with the recipe it was written with")
                layer.draws = int(arrays[name])
