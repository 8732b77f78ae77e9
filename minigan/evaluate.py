"""Sample quality, measured: an MNIST classifier trained with minigan's own kernels, and
the scores it gives a generator.

    python -m minigan train-classifier [--epochs 3] [--out PATH]
    python -m minigan evaluate --checkpoint runs/gan/weights_epoch_*.npz [--n 10000] [--classifier PATH]

The classifier: Conv2D(32, k3, s1) relu -> Conv2D(64, k3, s2) relu -> Dense 128 relu ->
Dense 10, softmax cross-entropy, Adam 1e-3, batch 128. Its 128 penultimate activations
are the feature space of the FID (Fréchet distance between Gaussians fitted to the
features of generated and of real test images):
    FID = |mu_g - mu_r|^2 + Tr(S_g + S_r - 2 (S_g S_r)^(1/2))
The evaluation also reports the class histogram of the samples and its entropy (ln 10 =
2.30 when every digit is equally present; 0 for a collapsed generator), the fraction of
samples the classifier labels with confidence >= 0.9, and, as the floor a perfect
generator would reach with the same number of samples, the FID of training images
against the test set.

`evaluate` also keeps each report in the checkpoint's run folder, RUN/scores.jsonl (one JSON
object a line), where `python -m minigan report RUN` shows them.
"""

import hashlib
import json
from pathlib import Path

import numpy as np

import kernels.cpu as K
from minigan.checkpoint import load_checkpoint, save_checkpoint
from minigan.data import load_mnist, to_gan_range, user_cache
from minigan.files import atomic_write
from minigan.layers import Conv2D, Dense, ReLU, Reshape
from minigan.models import Sequential
from minigan.optim import Adam
from minigan.validate import checkpoint_arrays
from minigan.weights import load_gan

FORMAT = "minigan-classifier-1"
FEATURE_LAYER = "act3"  # the 128 activations before the last Dense
SCORES = "scores.jsonl"  # in a run folder: the reports of its checkpoints


def default_classifier_path():
    return user_cache() / "classifier.npz"


def class_histogram(labels):
    """-> (fraction of each of the 10 classes, entropy of that histogram in nats)."""
    hist = np.bincount(labels, minlength=10) / len(labels)
    p = hist[hist > 0]
    return hist, float(-(p * np.log(p)).sum()) + 0.0  # + 0.0: one class gives 0.0, not -0.0


def classifier(rng, dtype=np.float32):
    return Sequential([
        Conv2D("conv1", 1, 32, 3, 1, "valid", rng, dtype), ReLU("act1"),  # 28 -> 26
        Conv2D("conv2", 32, 64, 3, 2, "valid", rng, dtype), ReLU("act2"),  # 26 -> 12
        Reshape("flatten", (-1,)),
        Dense("dense1", 12 * 12 * 64, 128, rng, dtype), ReLU(FEATURE_LAYER),
        Dense("dense2", 128, 10, rng, dtype),
    ], K)


def forward_with_features(net, x):
    """-> (logits (N, 10), features (N, 128))."""
    features = None
    for layer in net.layers:
        x = layer.forward(x)
        if layer.name == FEATURE_LAYER:
            features = x
    return x, features


def batched(net, images, batch=500):
    logits, feats = [], []
    for i in range(0, len(images), batch):
        lg, ft = forward_with_features(net, images[i:i + batch])
        logits.append(lg)
        feats.append(ft)
    return np.concatenate(logits), np.concatenate(feats)


def accuracy(net, images, labels):
    logits, _ = batched(net, images)
    return float((logits.argmax(1) == labels).mean())


def train_classifier(out, epochs=3, batch=128, lr=1e-3, limit=0, seed=0, data=None, log=print):
    images, labels = load_mnist("train", data)
    test_images, test_labels = load_mnist("test", data)
    if limit:
        images, labels = images[:limit], labels[:limit]
    x, xt = to_gan_range(images), to_gan_range(test_images)
    rng = np.random.default_rng(seed)
    net = classifier(rng)
    opt = Adam(net.params(), K, lr, 0.9, 0.999, 1e-8)
    for epoch in range(1, epochs + 1):
        perm = rng.permutation(len(x))
        losses = []
        for s in range(len(x) // batch):
            idx = perm[s * batch:(s + 1) * batch]
            logits = net.forward(x[idx])
            losses.append(float(K.softmax_cross_entropy_forward(logits, labels[idx])))
            net.backward(K.softmax_cross_entropy_backward(logits, labels[idx]), input_grad=False)
            opt.step(net.grads())
        acc = accuracy(net, xt, test_labels)
        log(f"classifier epoch {epoch}/{epochs}  loss {np.mean(losses):.4f}  test accuracy {acc:.4f}")
    save_checkpoint(out, net.params(), {"format": FORMAT, "epochs": epochs, "test_accuracy": acc, "limit": limit})
    log(f"saved the classifier to {out} (test accuracy {acc:.4f})")
    return acc


def load_classifier(path):
    arrays, meta = load_checkpoint(path)
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path} is not a minigan classifier; train one with python -m minigan train-classifier")
    net = classifier(np.random.default_rng(0))
    checkpoint_arrays(path, arrays, net.params())
    net.load_params(arrays)
    return net, meta


def psd_sqrt(s):
    """Symmetric square root of a covariance; round-off's tiny negative eigenvalues clipped to 0."""
    w, q = np.linalg.eigh(s)
    return (q * np.sqrt(np.clip(w, 0, None))) @ q.T


def fid(feats_a, feats_b):
    """Tr((S_a S_b)^(1/2)) is taken as sum sqrt(eig(S_a^(1/2) S_b S_a^(1/2))), a symmetric PSD
    matrix with the same eigenvalues: exact when features are constant in some direction (a
    ReLU unit a generator never turns on), where sqrtm(S_a S_b) meets a singular product."""
    mu_a, mu_b = feats_a.mean(0), feats_b.mean(0)
    cov_a = np.cov(feats_a.astype(np.float64), rowvar=False)
    cov_b = np.cov(feats_b.astype(np.float64), rowvar=False)
    root_a = psd_sqrt(cov_a)
    tr_covmean = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * tr_covmean)


def score_samples(net, samples, test_feats):
    logits, feats = batched(net, samples)
    z = logits - logits.max(1, keepdims=True)
    probs = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    hist, entropy = class_histogram(probs.argmax(1))
    return {"fid": fid(feats, test_feats), "class_histogram": hist.round(4).tolist(), "class_entropy": entropy,
            "confident_fraction": float((probs.max(1) >= 0.9).mean())}


class Yardstick:
    """The classifier and what every score is measured against: the MNIST test set's features,
    and the floor (the FID of n training images against the test set)."""

    def __init__(self, n=10000, classifier_path=None, data=None, seed=0):
        if n < 2:
            raise ValueError(f"--n must be at least 2 (a covariance needs two samples), got {n}")
        self.path = Path(classifier_path) if classifier_path else default_classifier_path()
        if not self.path.is_file():
            raise FileNotFoundError(f"no classifier at {self.path}; train one first: "
                                    f"python -m minigan train-classifier --out {self.path}")
        self.net, self.meta = load_classifier(self.path)
        # which feature space a FID was measured in: two classifiers' FIDs never compare
        self.sha256 = hashlib.sha256(self.path.read_bytes()).hexdigest()
        self.n, self.seed = n, seed
        test_images, _ = load_mnist("test", data)
        train_images, _ = load_mnist("train", data)
        _, self.test_feats = batched(self.net, to_gan_range(test_images))
        floor_idx = np.random.default_rng([seed, 1]).choice(len(train_images), size=n, replace=False)
        _, train_feats = batched(self.net, to_gan_range(train_images[floor_idx]))
        self.floor = fid(train_feats, self.test_feats)

    def samples(self, gan, z_dim, dtype, averaged=True):
        """n samples of gan, from the same noise for every generator scored with this yardstick."""
        rng = np.random.default_rng(self.seed)
        return np.concatenate([gan.sample(rng.standard_normal((min(500, self.n - i), z_dim)).astype(dtype), averaged)
                               for i in range(0, self.n, 500)]).astype(np.float32)

    def score(self, samples):
        report = score_samples(self.net, samples, self.test_feats)
        report.update(fid_train_vs_test=self.floor, n=self.n, classifier=str(self.path),
                      classifier_test_accuracy=self.meta["test_accuracy"], classifier_sha256=self.sha256)
        return report


def evaluate(checkpoints, n=10000, classifier_path=None, data=None, seed=0, averaged=True):
    """Score each GAN checkpoint on n samples -> a list of reports, one per checkpoint. Every
    checkpoint gets the same noise; the test features and the floor are computed once.
    averaged: sample a checkpoint's moving average of G where it has one (GAN.sample)."""
    yardstick = Yardstick(n, classifier_path, data, seed)
    gans = [load_gan(c, device="cpu") for c in checkpoints]  # all loaded first: a bad path fails fast
    reports = []
    for checkpoint, (gan, config, gmeta) in zip(checkpoints, gans):
        report = yardstick.score(yardstick.samples(gan, config.z_dim, config.dtype, averaged))
        report.update(checkpoint=str(checkpoint), epoch=gmeta["epoch"], recipe=config.recipe,
                      recipe_changes=config.recipe_changes,
                      generator="averaged" if averaged and gan.G_ema is not None else "trained",
                      engine=gmeta.get("engine", "minigan"), precision=config.precision, seed=config.seed)
        reports.append(report)
    return reports


def print_report(report, as_json=False):
    if as_json:
        print(json.dumps(report))
        return
    changes = "".join(f", {k}={v}" for k, v in report["recipe_changes"].items())
    precision = "" if report.get("precision", "float32") == "float32" else f", {report['precision']} products"
    print(f"{report['checkpoint']} ({report['engine']}{precision}, recipe {report['recipe']!r}{changes}, seed {report['seed']}, "
          f"epoch {report['epoch']}, {report['generator']} G), {report['n']} samples")
    print(f"  FID vs MNIST test (classifier features): {report['fid']:.3f}   floor (train vs test): {report['fid_train_vs_test']:.3f}")
    print(f"  class entropy {report['class_entropy']:.3f} (ln 10 = 2.303)   confident (p >= 0.9): {report['confident_fraction']:.3f}")
    print("  classes 0-9: " + " ".join(f"{100 * h:.1f}%" for h in report["class_histogram"]))
    print(f"  classifier {report['classifier']} (test accuracy {report['classifier_test_accuracy']:.4f}, "
          f"sha256 {report['classifier_sha256'][:12]})")


def same_evaluation(a, b):
    """Whether two reports score the same file of a run the same way (its generator, on as
    many samples, with the same classifier)."""
    return all(a[k] == b[k] for k in ("generator", "n", "classifier")) and \
        Path(a["checkpoint"]).name == Path(b["checkpoint"]).name


def save_score(report):
    """Keep a report in its checkpoint's folder, RUN/scores.jsonl, in place of an earlier one of
    the same evaluation (same_evaluation); rewritten atomically."""
    path = Path(report["checkpoint"]).parent / SCORES
    kept = [r for r in load_scores(path.parent) if not same_evaluation(r, report)]
    atomic_write(path, lambda f: f.write("".join(json.dumps(r) + "\n" for r in [*kept, report]).encode()))


def load_scores(run_dir):
    """The reports kept in RUN/scores.jsonl, in the order they were written (none if absent)."""
    path = Path(run_dir) / SCORES
    if not path.is_file():
        return []
    reports = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        try:
            reports.append(json.loads(line))
        except ValueError:
            raise ValueError(f"{path}: line {number} is not JSON; the file was cut short or edited. Delete it and "
                             f"run evaluate again") from None
    return reports
