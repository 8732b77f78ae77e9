"""A Keras 3 twin of the documented GAN, written for the tests and the benchmarks.

The models are the documentation's (section 5.2, summarised in docs/deviations.md) with the
listing's bugs fixed as that page lists them: D ends in a plain Dense(1) that outputs a logit
(the listing put a sigmoid there and then applied the logits form of the loss to it), a
Flatten before it, the generator trained toward label 1 (the non-saturating loss), and the
D loss the mean over the 2B samples. minigan never imports TensorFlow.

The step, as in minigan/gan.py (the documented recipe):
    fake = G(z)
    D step: mean BCE-with-logits of D([real; fake]) against [1]*B + [0]*B; Adam on D
    G step: mean BCE-with-logits of D(fake) (the updated D) against 1; Adam on G
Adam is Keras' own, with minigan's settings (lr 2e-4, beta_1 0.5, beta_2 0.999, epsilon 1e-8).
Its epsilon sits elsewhere: Keras divides by sqrt(v) + eps where minigan (and the Adam paper)
divide by sqrt(v_hat) + eps, which is minigan's rule with eps / sqrt(1 - beta_2^t) in place of
eps (keras_epsilon below).

Weights come from minigan's .npz layout (minigan/weights.py): Keras stores kernels in the same
(in, out) and (KH, KW, C_in, C_out) layouts, so each layer takes them through set_weights as
they are. Three ways to run the step: "eager", "function" (tf.function) and "xla"
(tf.function(jit_compile=True)).
"""

import contextlib
import math

import keras
import numpy as np
import tensorflow as tf

G_LAYERS = ("dense1", "dense2", "dense3", "dense4")
D_LAYERS = ("conv1", "conv2", "conv3", "dense")
MODES = ("eager", "function", "xla")


def compiled(fn, mode):
    """fn as TensorFlow runs it in mode: eager as it is, tf.function (a graph), or XLA."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return fn if mode == "eager" else tf.function(fn, jit_compile=mode == "xla")


def pin_threads(n):
    """TensorFlow's two pools (inside an op, and between ops) to n threads. TensorFlow fixes
    them when it first runs an op, so this must come first; a second call asking for the
    same is accepted."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)
    except RuntimeError:  # already running: fine only if it already runs with n
        have = (tf.config.threading.get_intra_op_parallelism_threads(),
                tf.config.threading.get_inter_op_parallelism_threads())
        if have != (n, n):
            raise RuntimeError(f"TensorFlow already runs with (intra, inter) = {have} threads, not {n}: "
                               "call pin_threads before any TensorFlow op") from None


def keras_adam(dtype, lr=2e-4, beta1=0.5, beta2=0.999, eps=1e-8):
    """Keras' Adam, computing in dtype. Two of its inputs need help to be float64: the
    learning rate becomes a variable of type floatx (so it is created under floatx(dtype)),
    and ops.cast rounds a Python float through float32 when Adam forms beta^t (measured:
    beta_2 = 0.999 became 0.99900001, the first step off by 6e-6 relative), so the betas
    arrive as NumPy scalars of dtype."""
    with floatx(dtype):
        return keras.optimizers.Adam(learning_rate=lr, beta_1=np.dtype(dtype).type(beta1),
                                     beta_2=np.dtype(dtype).type(beta2), epsilon=eps)


@contextlib.contextmanager
def floatx(dtype):
    """Keras' default type for the variables and tensors it creates from Python floats."""
    before = keras.config.floatx()
    keras.config.set_floatx(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(before)


def generator(dtype="float32", z_dim=100):
    """z (B, 100) -> images (B, 28, 28, 1): Dense 128, 256, 512 relu, Dense 784 tanh."""
    z = keras.Input((z_dim,), dtype=dtype)
    h = z
    for name, units in zip(G_LAYERS[:3], (128, 256, 512)):
        h = keras.layers.Dense(units, activation="relu", name=name, dtype=dtype)(h)
    h = keras.layers.Dense(784, activation="tanh", name="dense4", dtype=dtype)(h)
    return keras.Model(z, keras.layers.Reshape((28, 28, 1), dtype=dtype)(h), name="G")


def discriminator(dtype="float32"):
    """images (B, 28, 28, 1) -> logits (B, 1): Conv2D(128/256/512, kernel 3, stride 3) relu,
    28 -> 9 -> 3 -> 1, then Dense(1) on the flattened 1x1x512 map."""
    x = keras.Input((28, 28, 1), dtype=dtype)
    h = x
    for name, filters in zip(D_LAYERS[:3], (128, 256, 512)):
        h = keras.layers.Conv2D(filters, 3, 3, activation="relu", name=name, dtype=dtype)(h)
    h = keras.layers.Flatten(dtype=dtype)(h)
    return keras.Model(x, keras.layers.Dense(1, name="dense", dtype=dtype)(h), name="D")


def load_minigan_weights(model, arrays, net):
    for name in (G_LAYERS if net == "G" else D_LAYERS):
        model.get_layer(name).set_weights([arrays[f"{net}/{name}/w"], arrays[f"{net}/{name}/b"]])


def minigan_layout(model, net):
    out = {}
    for name in (G_LAYERS if net == "G" else D_LAYERS):
        w, b = model.get_layer(name).get_weights()
        out[f"{net}/{name}/w"], out[f"{net}/{name}/b"] = w, b
    return out


def keras_epsilon(eps, beta2, t):
    """The epsilon that minigan's rule lr * m_hat / (sqrt(v_hat) + eps') needs at step t to take
    Keras' step lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps): eps' = eps / sqrt(1 - beta2^t)."""
    return eps / math.sqrt(1.0 - beta2**t)


class KerasGAN:
    """The documented GAN in Keras, from minigan's weights (a dict in minigan's .npz layout)."""

    def __init__(self, weights, dtype="float32", mode="eager", lr=2e-4, beta1=0.5, beta2=0.999, eps=1e-8):
        self.dtype = dtype
        self.G, self.D = generator(dtype), discriminator(dtype)
        load_minigan_weights(self.G, weights, "G")
        load_minigan_weights(self.D, weights, "D")
        self.opt_g, self.opt_d = (keras_adam(dtype, lr, beta1, beta2, eps) for _ in "GD")
        self.opt_g.build(self.G.trainable_variables)  # its m and v now, not inside a traced step
        self.opt_d.build(self.D.trainable_variables)
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True, dtype=dtype)  # the mean over the batch, in dtype
        self.step = compiled(self._step, mode)

    def _step(self, real, z):
        B = tf.shape(real)[0]
        ones, zeros = tf.ones((B, 1), self.dtype), tf.zeros((B, 1), self.dtype)
        with tf.GradientTape() as g_tape:  # G runs once; its activations serve the G step
            fake = self.G(z, training=True)
            with tf.GradientTape() as d_tape:
                logits = self.D(tf.concat([real, tf.stop_gradient(fake)], 0), training=True)  # (2B, 1)
                d_loss = self.bce(tf.concat([ones, zeros], 0), logits)
            d_vars = self.D.trainable_variables
            self.opt_d.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars))
            g_loss = self.bce(ones, self.D(fake, training=True))  # through the updated D
        g_vars = self.G.trainable_variables
        self.opt_g.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
        p = tf.sigmoid(logits)  # D's probabilities before its step, as minigan reports them
        return d_loss, g_loss, tf.reduce_mean(p[:B]), tf.reduce_mean(p[B:])

    def train_step(self, real, z):
        """real (B, 28, 28, 1), z (B, 100) -> dict of d_loss, g_loss, d_real, d_fake (floats)."""
        out = self.step(tf.constant(real, self.dtype), tf.constant(z, self.dtype))
        return dict(zip(("d_loss", "g_loss", "d_real", "d_fake"), (float(v) for v in out)))

    def generate(self, z):
        return self.G(tf.constant(z, self.dtype), training=False).numpy()

    def discriminate(self, x):
        """D's logits (B, 1)."""
        return self.D(tf.constant(x, self.dtype), training=False).numpy()

    def weights(self):
        return {**minigan_layout(self.G, "G"), **minigan_layout(self.D, "D")}


def adam_steps(params, grads, steps, lr=2e-4, beta1=0.5, beta2=0.999, eps=1e-8):
    """Keras' Adam alone: ``steps`` updates of float64 copies of ``params`` with the same
    gradients every step -> the parameters after them (numpy)."""
    opt = keras_adam("float64", lr, beta1, beta2, eps)
    variables = [keras.Variable(np.array(p, np.float64), dtype="float64") for p in params]
    grads = [tf.constant(g, tf.float64) for g in grads]
    for _ in range(steps):
        opt.apply_gradients(zip(grads, variables))
    return [np.asarray(v.numpy()) for v in variables]
