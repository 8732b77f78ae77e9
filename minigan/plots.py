"""Sample grids and loss curves as PNG, written atomically; a figure's PNG bytes for the
training report (minigan/training_report.py)."""

import io

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from minigan.files import atomic_write  # noqa: E402


def tile(images, ncols):
    """(N, H, W, 1) in [-1, 1] -> one (rows*H, ncols*W) image in [0, 1], 1-pixel gaps."""
    n, h, w = images.shape[:3]
    nrows = -(-n // ncols)
    grid = np.ones((nrows * (h + 1) - 1, ncols * (w + 1) - 1), dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, ncols)
        grid[r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = (images[i, ..., 0] + 1) / 2
    return np.clip(grid, 0, 1)


def save_grid(images, path, ncols=None, scale=2):
    images = np.asarray(images)
    ncols = ncols or int(np.ceil(np.sqrt(len(images))))
    grid = tile(images, ncols)
    grid = np.kron(grid, np.ones((scale, scale), dtype=grid.dtype))  # crisp upscaling, no blur

    def write(f):
        buf = io.BytesIO()
        plt.imsave(buf, grid, cmap="gray", vmin=0.0, vmax=1.0, format="png")
        f.write(buf.getvalue())

    atomic_write(path, write)


def plot_per_step(ax, columns, keys, ylabel):
    """columns: {"step": ..., "epoch": ..., key: ...}, one entry a step; each key a line of
    its own: every step faint, the epoch means bold."""
    steps, epochs = np.asarray(columns["step"]), np.asarray(columns["epoch"])
    for key, color in zip(keys, ("tab:blue", "tab:orange")):
        values = np.asarray(columns[key], dtype=np.float64)
        ax.plot(steps, values, color=color, alpha=0.35, linewidth=0.6)
        ends = [steps[epochs == e].max() for e in np.unique(epochs)]
        means = [values[epochs == e].mean() for e in np.unique(epochs)]
        ax.plot(ends, means, color=color, marker="o", markersize=3, label=f"{key} (epoch mean)")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.legend()


def png_bytes(fig):
    """The figure as PNG bytes; the figure is closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def save_loss_curves(rows, path, title="minigan GAN losses"):
    """rows: dicts with epoch, step, d_loss, g_loss. Per-step losses faint, epoch means bold."""
    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=100)
    plot_per_step(ax, {k: [r[k] for r in rows] for k in ("step", "epoch", "d_loss", "g_loss")}, ("d_loss", "g_loss"),
                  "binary cross-entropy")
    ax.set_title(title)
    fig.tight_layout()
    png = png_bytes(fig)
    atomic_write(path, lambda f: f.write(png))
