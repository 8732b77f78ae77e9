"""Data parallelism over MPI (mpi4py): N processes ("ranks") train one GAN as one process does.

`mpiexec -n N python -m minigan train` starts N copies of the trainer. Each builds the same
GAN from the same seed and draws the same permutation, noise and dropout masks, so their
random streams never part. For a global batch of B images, rank r keeps rows
[r b, (r + 1) b) of the real batch and of z, with b = B / N, and then

  D step   D's forward and backward on its 2b rows [real_r; fake_r]; D's gradients are
           averaged over the ranks (one Allreduce over one flat buffer, or one Iallreduce
           per layer started as soon as the layer's gradients exist); Adam moves D,
           identically on every rank;
  G step   G's backward on its b rows; G's gradients averaged the same way; Adam moves G.

Why the average of the ranks' gradients is the one-process gradient: every rank's loss is a
mean over its own rows, and the shards are equal, so the one-process loss is the mean of
the ranks' losses, and so is its gradient, term by term. BatchNorm breaks the "term by term":
its statistics couple every row of the batch. So G's BatchNorm layers are synchronised: the
partial sums behind the batch mean and variance (forward) and behind dL/dx's two batch sums
(backward) are allreduced, a few hundred numbers each (kernels/cpu/batchnorm.py, `reduce`).
Local statistics (each rank normalising over its own b rows) would be cheaper and are what
DDP does by default, but they change the model: the normalisation then depends on N, a
rank's b rows are a noisier estimate than B rows, and N ranks no longer give the run one
process gives. docs/scale.md has the costs.

One process (no mpiexec, or mpi4py missing without one) is World(None): every method then
does nothing or passes its argument through, and mpi4py is never imported.
"""

import os
import sys
import time

import numpy as np

ABORT_GRACE_S = 1.0  # for the launcher to forward a failing rank's message before Abort ends the job
# set by the launchers: MPICH/Intel MPI (Hydra), Open MPI, PMIx (Slurm, Open MPI 5)
SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE")


class MPIError(RuntimeError):
    """The MPI setup cannot work (mpi4py missing under mpiexec); the message says what to install."""


def launched_size(environ=os.environ):
    """How many processes the MPI launcher started (1 without one)."""
    for name in SIZE_VARIABLES:
        if environ.get(name, "").isdigit():
            return int(environ[name])
    return 1


class World:
    """The ranks of one data-parallel run: who this process is, its shard of each batch, and
    the collectives the GAN calls. World(None) is one process. overlap: D's gradients are sent
    layer by layer during its backward (FlatGradients; docs/scale.md measures it)."""

    def __init__(self, comm=None, overlap=True):
        self.comm, self.overlap = comm, overlap
        self.size = comm.Get_size() if comm is not None else 1
        self.rank = comm.Get_rank() if comm is not None else 0
        self.local_rank, self.local_size = 0, 1
        if comm is not None:
            from mpi4py import MPI

            local = comm.Split_type(MPI.COMM_TYPE_SHARED)  # the ranks on this machine
            self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
            local.Free()
        self.per_rank_batch = None
        self.buffers = {}  # net name -> FlatGradients

    @classmethod
    def from_launcher(cls, overlap=True):
        """The world mpiexec started, or one process. Started by mpiexec with N > 1 but without
        mpi4py is an error, not N independent runs writing into one folder."""
        size = launched_size()
        if size == 1:
            return cls(None, overlap)
        try:
            from mpi4py import MPI
        except ImportError:
            raise MPIError(f"started as one of {size} MPI processes, but mpi4py is not installed; "
                               f"pip install 'minigan[mpi]' (mpi4py and mpich), or run without mpiexec") from None
        return cls(MPI.COMM_WORLD, overlap)

    @property
    def parallel(self):
        return self.size > 1

    @property
    def is_root(self):
        """Rank 0: the one rank that logs and writes files."""
        return self.rank == 0

    def select_gpu(self, share=False):
        """--device cuda: this rank takes the GPU numbered by its local rank. More ranks on a
        machine than GPUs is refused unless share=True (then GPU local_rank mod count)."""
        from numba import cuda

        count = len(cuda.gpus)
        if self.local_size > count and not share:
            raise ValueError(f"{self.local_size} ranks on this machine but {count} GPU(s): start at most {count} "
                             f"ranks per machine, or pass --share-gpus to let ranks share them")
        cuda.select_device(self.local_rank % count)

    def root_first(self, fn):
        """fn() on rank 0, then on the others (a download happens once, into one folder)."""
        if not self.parallel:
            return fn()
        if self.is_root:
            out = fn()
            self.comm.Barrier()
            return out
        self.comm.Barrier()
        return fn()

    def root_decides(self, fn, refusal):
        """fn() on rank 0 alone -> its result there, None elsewhere. If it raises ``refusal``
        (an exception class whose message is the whole story), every rank raises it with that
        message, so that a refused run ends on all ranks alike, with no MPI_Abort."""
        if not self.parallel:
            return fn()
        out, message = None, None
        if self.is_root:
            try:
                out = fn()
            except refusal as err:
                message = str(err)
        message = self.comm.bcast(message, root=0)
        if message is not None:
            raise refusal(message)
        return out

    # -- shards ---------------------------------------------------------------------------
    def split_batch(self, batch):
        """The global batch B -> this rank's b = B / N (TrainConfig.validate checked that it divides)."""
        assert batch % self.size == 0, (batch, self.size)
        self.per_rank_batch = batch // self.size
        return self.per_rank_batch

    def shard(self, a):
        """This rank's rows [r b, (r + 1) b) of a global batch (a itself in one process)."""
        if not self.parallel:
            return a
        b = self.per_rank_batch
        return a[self.rank * b:(self.rank + 1) * b]

    def rows(self, n_local, rank=None):
        """For an array of n_local rows made of k segments of b rows each (the D step's
        [real_r; fake_r] is two), the number of rows of the whole batch's array, k B, and this
        rank's (or `rank`'s) row indices in it: segment j holds rows j B + r b ... j B + r b + b - 1."""
        b, r = self.per_rank_batch, self.rank if rank is None else rank
        segments, B = n_local // b, b * self.size
        mine = (np.arange(segments)[:, None] * B + r * b + np.arange(b)[None, :]).ravel()
        return segments * B, mine

    # -- collectives -----------------------------------------------------------------------
    def summed(self, host):
        """A host array summed over the ranks, into a new array (the array itself in one process)."""
        if not self.parallel:
            return host
        from mpi4py import MPI

        out = np.empty_like(host)
        self.comm.Allreduce(host, out, op=MPI.SUM)
        return out

    def sum(self, a, ops):
        """a summed over the ranks, as a new array on a's device: BatchNorm's reduce."""
        return ops.to_device(self.summed(np.ascontiguousarray(ops.to_host(a))))

    def mean(self, values):
        """Scalars (one per rank, equal shards) -> their means over the ranks, as floats."""
        if not self.parallel:
            return [float(v) for v in values]
        return [float(v) for v in self.summed(np.array(values, dtype=np.float64)) / self.size]

    def gradients(self, name, net, ops, overlap):
        """The FlatGradients of one net, made at its first use."""
        if name not in self.buffers:
            self.buffers[name] = FlatGradients(self.comm, net.params(), ops, overlap)
        return self.buffers[name]

    def same_everywhere(self, arrays):
        """True if every rank holds bitwise the same arrays (the tests' check that the ranks
        never drift apart)."""
        if not self.parallel:
            return True
        flat = np.concatenate([np.ascontiguousarray(a).view(np.uint8).ravel() for a in arrays])
        return all(np.array_equal(flat, other) for other in self.comm.allgather(flat))

    def abort(self, message, code=1, details=""):
        """End every rank now: the others may be waiting in a collective for this one, and
        would wait forever. The message names the rank; it is written in one piece and given a
        moment to travel, since the launcher tears the job down (its output forwarding with it)
        as soon as Abort reaches it."""
        sys.stderr.write(f"{details}minigan: rank {self.rank} of {self.size}: {message}; ending all {self.size} ranks\n")
        sys.stderr.flush()
        time.sleep(ABORT_GRACE_S)
        self.comm.Abort(code)


class FlatGradients:
    """One net's gradients in one contiguous host buffer, averaged over the ranks in place.

    The buffer is cut into one view per parameter, in the net's parameter order (the same on
    every rank). A rank's gradients are copied into their views as each layer's backward
    finishes (layer_done), and then either
      overlap=False  one Allreduce over the whole buffer, in finish(); or
      overlap=True   one Iallreduce per layer started in layer_done, so the last layers'
                     messages travel while the first layers' backward still computes;
                     finish() waits for them.
    finish() divides by N and returns {name: averaged gradient} on the net's device.
    (The copy into the buffer goes once the kernels write their gradients to caller-owned
    buffers: the views would be those buffers.)"""

    def __init__(self, comm, params, ops, overlap):
        from mpi4py import MPI

        self.MPI, self.comm, self.ops, self.overlap = MPI, comm, ops, overlap
        sizes = [int(np.prod(p.shape)) for p in params.values()]
        self.flat = np.empty(sum(sizes), dtype=np.dtype(next(iter(params.values())).dtype))
        self.views, self.spans, offset = {}, {}, 0
        for (name, p), n in zip(params.items(), sizes):  # a layer's parameters are neighbours
            self.views[name] = self.flat[offset:offset + n].reshape(p.shape)
            layer = name.rpartition("/")[0]
            self.spans[layer] = (self.spans.get(layer, (offset,))[0], offset + n)
            offset += n
        self.on_host = isinstance(ops.to_device(self.flat[:1]), np.ndarray)
        self.requests = []
        self.inv_size = self.flat.dtype.type(1.0 / comm.Get_size())

    def layer_done(self, layer):
        """layer's backward has filled its grads: copy them in (and start their Iallreduce)."""
        if layer.name not in self.spans:
            return  # a layer without parameters
        for k, g in layer.grads.items():
            self.views[f"{layer.name}/{k}"][...] = self.ops.to_host(g)
        if self.overlap:
            start, end = self.spans[layer.name]
            self.requests.append(self.comm.Iallreduce(self.MPI.IN_PLACE, self.flat[start:end], op=self.MPI.SUM))

    def finish(self):
        if self.overlap:
            self.MPI.Request.Waitall(self.requests)
            self.requests = []
        else:
            self.comm.Allreduce(self.MPI.IN_PLACE, self.flat, op=self.MPI.SUM)
        self.flat *= self.inv_size
        if self.on_host:
            return self.views
        return {k: self.ops.to_device(v) for k, v in self.views.items()}
