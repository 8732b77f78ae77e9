"""A PyTorch twin of minigan's GAN: the same layers, loss, Adam settings and step order.

A reference for tests and benchmarks only; minigan never imports torch. Layout is handled
by permutes at the edges: images arrive NHWC (N, 28, 28, 1) as in minigan and go through
the convolutions as NCHW. Weights come from minigan's .npz layout (minigan/weights.py),
converted as that module's docstring says.

The step, as in minigan/gan.py:
    fake = G(z)
    with d_spectral_norm: one power-iteration step in each D layer
    D step: mean BCE-with-logits of D([real; fake]) against [real_label]*B + [0]*B; Adam on D
    G step: mean BCE-with-logits of D(fake) (updated D) against 1; Adam on G
    with g_ema_decay > 0: G_ema <- decay * G_ema + (1 - decay) * G, parameters only
With bf16=True every matrix product rounds its operands to bfloat16 as minigan's --precision bf16
does (kernels/cpu/gemm_bf16.py): the layer's input and weight in the forward, the gradient of
its output (after the activation and 1 / sigma) in the backward, sums in float32
(BF16Linear, BF16Conv2d below); everything else as in float32.
"""

import copy

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from kernels.counter_rng import keep_mask, splitmix64


def bf16(t):
    """t's elements rounded to the nearest bfloat16, ties to even (PyTorch's conversion), as float32."""
    return t.to(torch.bfloat16).to(t.dtype)


class BF16Linear(torch.autograd.Function):
    """x @ w.T on bfloat16 operands: y = r(x) @ r(w).T, dx = r(dy) @ r(w), dw = r(dy).T @ r(x),
    r = bf16, every sum float32 (a product of two bfloat16 numbers is exact in float32)."""

    @staticmethod
    def forward(ctx, x, w):
        x16, w16 = bf16(x), bf16(w)
        ctx.save_for_backward(x16, w16)
        return x16 @ w16.T

    @staticmethod
    def backward(ctx, dy):
        x16, w16 = ctx.saved_tensors
        dy16 = bf16(dy)
        return dy16 @ w16, dy16.T @ x16


class BF16Conv2d(torch.autograd.Function):
    """conv2d(x, w) (no bias) on bfloat16 operands, as BF16Linear: the im2col matrix is r(x)'s."""

    @staticmethod
    def forward(ctx, x, w, stride):
        x16, w16 = bf16(x), bf16(w)
        ctx.save_for_backward(x16, w16)
        ctx.stride = stride
        return F.conv2d(x16, w16, None, stride=stride)

    @staticmethod
    def backward(ctx, dy):
        x16, w16 = ctx.saved_tensors
        dy16 = bf16(dy)
        dx = torch.nn.grad.conv2d_input(x16.shape, w16, dy16, stride=ctx.stride)
        dw = torch.nn.grad.conv2d_weight(x16, w16.shape, dy16, stride=ctx.stride)
        return dx, dw, None


def linear(x, w, bf16_products):
    return BF16Linear.apply(x, w) if bf16_products else F.linear(x, w)


def activation(kind):
    return {"relu": nn.ReLU(), "leaky_relu": nn.LeakyReLU(0.2)}[kind]


class KerasBatchNorm(nn.Module):
    """BatchNorm as Keras (and minigan) define it: eps 1e-3, running averages with
    momentum 0.8 of the *biased* batch variance (nn.BatchNorm1d would average the unbiased one)."""

    def __init__(self, features, momentum=0.8, eps=1e-3):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(features))
        self.bias = nn.Parameter(torch.zeros(features))
        self.register_buffer("running_mean", torch.zeros(features))
        self.register_buffer("running_var", torch.ones(features))
        self.momentum, self.eps = momentum, eps

    def forward(self, x):
        if not self.training:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)
        with torch.no_grad():
            m = self.momentum
            self.running_mean.mul_(m).add_((1 - m) * x.mean(0))
            self.running_var.mul_(m).add_((1 - m) * x.var(0, unbiased=False))
        return F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)


class Generator(nn.Module):
    def __init__(self, act="relu", batchnorm=False, z_dim=100, bf16_products=False):
        super().__init__()
        self.bf16_products = bf16_products
        bias = not batchnorm  # a bias before BatchNorm is dead weight (minigan/layers.py, Dense)
        self.dense1, self.dense2 = nn.Linear(z_dim, 128, bias=bias), nn.Linear(128, 256, bias=bias)
        self.dense3, self.dense4 = nn.Linear(256, 512, bias=bias), nn.Linear(512, 784)
        norm = KerasBatchNorm if batchnorm else (lambda n: nn.Identity())
        self.bn1, self.bn2, self.bn3 = norm(128), norm(256), norm(512)
        self.act = activation(act)

    def dense(self, layer, h):
        if not self.bf16_products:
            return layer(h)
        return linear(h, layer.weight, True) + (0 if layer.bias is None else layer.bias)

    def forward(self, z):
        h = self.act(self.bn1(self.dense(self.dense1, z)))
        h = self.act(self.bn2(self.dense(self.dense2, h)))
        h = self.act(self.bn3(self.dense(self.dense3, h)))
        return torch.tanh(self.dense(self.dense4, h)).view(-1, 28, 28, 1)  # NHWC, as minigan


class MaskedDropout(nn.Module):
    """Inverted dropout that drops the units minigan's layer of the same key drops: its masks are
    kernels/counter_rng.py's keep_mask, in minigan's NHWC layout, keyed per call as minigan's
    Dropout keys them (minigan/layers.py: splitmix64(key, draws), draws counting the training calls)."""

    def __init__(self, rate, key):
        super().__init__()
        self.rate, self.key, self.draws = rate, key, 0

    def forward(self, h):  # h (N, C, H, W)
        if not self.training:
            return h
        call_key = splitmix64(self.key, self.draws)
        self.draws += 1
        keep = keep_mask(call_key, h.permute(0, 2, 3, 1).shape, self.rate, np.float32)  # (N, H, W, C), as minigan
        mask = torch.from_numpy(keep).to(device=h.device, dtype=h.dtype).permute(0, 3, 1, 2)
        return h * mask / (1 - self.rate)


def minibatch_stddev(h, group_size=4, eps=1e-8):
    """(N, F) -> (N, F + 1): each group of consecutive rows gets the mean over features of its
    standard deviation (kernels/cpu/minibatch_stddev.py); autograd does the backward."""
    groups = h.view(-1, group_size, h.shape[1])  # (N/S, S, F)
    sd = torch.sqrt(groups.var(1, unbiased=False) + eps)  # (N/S, F)
    stat = sd.mean(1, keepdim=True).repeat_interleave(group_size, 0)  # (N, 1)
    return torch.cat([h, stat], 1)


def kernel_matrix(layer):
    """A layer's weight as minigan's (I, O) matrix (kernels/cpu/spectral_norm.py): a view."""
    w = layer.weight
    return w.T if isinstance(layer, nn.Linear) else w.permute(2, 3, 1, 0).reshape(-1, w.shape[0])


class Discriminator(nn.Module):
    """spectral_norm: each layer's weight divided by sigma = v^T M u, with u and v buffers
    stepped by power_iteration() once per training step, as minigan does (torch.nn.utils.spectral_norm
    would iterate at every forward: twice a step here), and divided out of each layer's product."""

    LAYERS = ("conv1", "conv2", "conv3", "dense")

    def __init__(self, act="relu", dropout=0.0, minibatch_std=False, mask_keys=None, spectral_norm=False,
                 bf16_products=False):
        super().__init__()
        self.bf16_products = bf16_products
        self.conv1 = nn.Conv2d(1, 128, 3, 3)
        self.conv2 = nn.Conv2d(128, 256, 3, 3)
        self.conv3 = nn.Conv2d(256, 512, 3, 3)
        self.dense = nn.Linear(512 + int(minibatch_std), 1)
        self.act = activation(act)
        # one dropout a convolution, keyed as minigan's drop1, drop2, drop3
        self.drops = nn.ModuleList([MaskedDropout(dropout, key) for key in mask_keys] if dropout else
                                   [nn.Identity()] * 3)
        self.minibatch_std = minibatch_std
        self.spectral_norm = spectral_norm
        if spectral_norm:  # loaded from minigan's weights (sn_u, sn_v)
            for name in self.LAYERS:
                n_in, n_out = kernel_matrix(getattr(self, name)).shape
                self.register_buffer(f"{name}_sn_u", torch.zeros(n_out))
                self.register_buffer(f"{name}_sn_v", torch.zeros(n_in))

    def singular_vectors(self, name):
        return getattr(self, f"{name}_sn_u"), getattr(self, f"{name}_sn_v")

    @torch.no_grad()
    def power_iteration(self, eps=1e-12):
        for name in self.LAYERS:
            M, (u, v) = kernel_matrix(getattr(self, name)), self.singular_vectors(name)
            v.copy_(M @ u)
            v /= torch.clamp(v.norm(), min=eps)
            u.copy_(M.T @ v)
            u /= torch.clamp(u.norm(), min=eps)

    def scaled(self, name, h):
        """A layer's product before its bias, divided by sigma = v^T M u as minigan's epilogue
        divides it (times 1 / sigma; u, v constants to autograd, sigma not): w / sigma is not formed."""
        if not self.spectral_norm:
            return h
        u, v = self.singular_vectors(name)
        return h * (1 / (v @ (kernel_matrix(getattr(self, name)) @ u)))

    def conv(self, name, h):
        layer = getattr(self, name)
        h = BF16Conv2d.apply(h, layer.weight, 3) if self.bf16_products else F.conv2d(h, layer.weight, None, stride=3)
        return self.scaled(name, h) + layer.bias.view(1, -1, 1, 1)

    def forward(self, x):
        h = x.permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW, contiguous: PyTorch's fast conv path
        h = self.drops[0](self.act(self.conv("conv1", h)))  # 28 -> 9
        h = self.drops[1](self.act(self.conv("conv2", h)))  # 9 -> 3
        h = self.drops[2](self.act(self.conv("conv3", h)))  # 3 -> 1
        h = h.flatten(1)
        if self.minibatch_std:
            h = minibatch_stddev(h)
        return self.scaled("dense", linear(h, self.dense.weight, self.bf16_products)) + self.dense.bias  # logits (N, 1)


def torch_layout(layer, w):
    """A minigan kernel array in the layout of ``layer.weight`` (minigan/weights.py)."""
    w = w.T if isinstance(layer, nn.Linear) else w.transpose(3, 2, 0, 1)
    return torch.from_numpy(np.ascontiguousarray(w))


def parameter_pairs(module, prefix):
    """(minigan name, torch layer, torch parameter, is_kernel) for every trained parameter."""
    for name, layer in module.named_children():
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            yield f"{prefix}/{name}/w", layer, layer.weight, True
            if layer.bias is not None:
                yield f"{prefix}/{name}/b", layer, layer.bias, False
        elif isinstance(layer, KerasBatchNorm):
            yield f"{prefix}/{name}/gamma", layer, layer.weight, False
            yield f"{prefix}/{name}/beta", layer, layer.bias, False


def buffer_pairs(module, prefix):
    for name, layer in module.named_children():
        if isinstance(layer, KerasBatchNorm):
            yield f"{prefix}/{name}/moving_mean", layer.running_mean
            yield f"{prefix}/{name}/moving_var", layer.running_var
        elif getattr(module, "spectral_norm", False) and isinstance(layer, (nn.Linear, nn.Conv2d)):
            u, v = module.singular_vectors(name)
            yield f"{prefix}/{name}/sn_u", u
            yield f"{prefix}/{name}/sn_v", v


def load_minigan_weights(module, arrays, prefix):
    """Copy minigan arrays ("G/dense1/w", ...) into a twin module, converting layouts."""
    with torch.no_grad():
        for key, layer, param, is_kernel in parameter_pairs(module, prefix):
            a = arrays[key]
            param.copy_(torch_layout(layer, a) if is_kernel else torch.from_numpy(a))
        for key, buf in buffer_pairs(module, prefix):
            buf.copy_(torch.from_numpy(arrays[key]))


def minigan_layout(module, prefix):
    """The twin's parameters and buffers back in minigan's names and layout (numpy)."""
    out = {}
    for key, layer, param, is_kernel in parameter_pairs(module, prefix):
        a = param.detach().numpy()
        if is_kernel:
            a = a.T if isinstance(layer, nn.Linear) else a.transpose(2, 3, 1, 0)
        out[key] = a
    out.update({key: buf.numpy() for key, buf in buffer_pairs(module, prefix)})
    return out


class TwinGAN:
    def __init__(self, weights, dtype=torch.float32, g_activation="relu", d_activation="relu", real_label=1.0,
                 lr=2e-4, beta1=0.5, beta2=0.999, eps=1e-8, g_batchnorm=False, d_lr_scale=1.0,
                 d_dropout=0.0, d_minibatch_std=False, mask_keys=None, g_ema_decay=0.0, d_spectral_norm=False,
                 bf16_products=False):
        """mask_keys: with dropout, the keys of minigan's three Dropout layers (GAN.dropouts()), so
        that the twin drops the same units. bf16_products: minigan's --precision bf16."""
        self.dtype = dtype
        self.G = Generator(g_activation, g_batchnorm, bf16_products=bf16_products).to(dtype)
        self.D = Discriminator(d_activation, d_dropout, d_minibatch_std, mask_keys, d_spectral_norm,
                               bf16_products).to(dtype)
        load_minigan_weights(self.G, weights, "G")
        load_minigan_weights(self.D, weights, "D")
        self.g_ema_decay = g_ema_decay
        self.G_ema = copy.deepcopy(self.G).eval() if g_ema_decay else None
        self.real_label = real_label
        adam = dict(betas=(beta1, beta2), eps=eps, foreach=False)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr, **adam)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=lr * d_lr_scale, **adam)

    @classmethod
    def from_recipe(cls, weights, recipe, dtype=torch.float32, mask_keys=None, **options):
        """The twin of minigan's GAN(recipe): the same layers and learning rates."""
        return cls(weights, dtype, recipe.g_activation, recipe.d_activation, recipe.real_label,
                   g_batchnorm=recipe.g_batchnorm, d_lr_scale=recipe.d_lr_scale, d_dropout=recipe.d_dropout,
                   d_minibatch_std=recipe.d_minibatch_std, mask_keys=mask_keys, g_ema_decay=recipe.g_ema_decay,
                   d_spectral_norm=recipe.d_spectral_norm, **options)

    def train_step(self, real, z):
        real = torch.as_tensor(real, dtype=self.dtype)
        z = torch.as_tensor(z, dtype=self.dtype)
        B = real.shape[0]
        if self.D.spectral_norm:
            self.D.power_iteration()
        fake = self.G(z)

        like = dict(dtype=self.dtype, device=real.device)
        d_targets = torch.cat([torch.full((B, 1), self.real_label, **like), torch.zeros(B, 1, **like)])
        self.opt_d.zero_grad()
        logits = self.D(torch.cat([real, fake.detach()]))
        d_loss = F.binary_cross_entropy_with_logits(logits, d_targets)
        d_loss.backward()
        self.opt_d.step()

        self.opt_g.zero_grad()
        self.D.requires_grad_(False)  # the G step needs D's input gradient only, as minigan's (param_grads=False)
        g_loss = F.binary_cross_entropy_with_logits(self.D(fake), torch.ones(B, 1, **like))
        g_loss.backward()
        self.D.requires_grad_(True)
        self.opt_g.step()
        if self.G_ema is not None:
            self.update_average()
        p = torch.sigmoid(logits.detach()).double()  # D's probabilities before its step, as minigan reports
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
                "d_real": p[:B].mean().item(), "d_fake": p[B:].mean().item()}

    @torch.no_grad()
    def update_average(self):
        """The moving average of the parameters written out, as minigan's ema_update kernel computes it."""
        d = self.g_ema_decay
        for shadow, value in zip(self.G_ema.parameters(), self.G.parameters()):
            shadow.copy_(d * shadow + (1 - d) * value)

    def load_minigan_state(self, state):
        """Weights and Adam state from minigan's GAN.state() (for teacher-forced comparisons)."""
        for net, opt, prefix in ((self.G, self.opt_g, "G"), (self.D, self.opt_d, "D")):
            load_minigan_weights(net, state, prefix)
            if prefix == "G" and self.G_ema is not None:
                load_minigan_weights(self.G_ema, state, "G_ema")
            for key, layer, param, is_kernel in parameter_pairs(net, prefix):
                name = key[2:]
                m, v = state[f"opt_{prefix}/m/{name}"], state[f"opt_{prefix}/v/{name}"]
                convert = (lambda a: torch_layout(layer, a)) if is_kernel else torch.from_numpy
                opt.state[param] = {"step": torch.tensor(float(state[f"opt_{prefix}/t"])),
                                    "exp_avg": convert(m).clone(), "exp_avg_sq": convert(v).clone()}

    def weights(self):
        out = {**minigan_layout(self.G, "G"), **minigan_layout(self.D, "D")}
        if self.G_ema is not None:
            out.update(minigan_layout(self.G_ema, "G_ema"))
        return out
