"""minigan: layers, models, trainer, data and command line over the ``kernels`` package."""

__version__ = "0.1.0"
