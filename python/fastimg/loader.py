"""fastimg.Loader: the C++ loader's batches as torch tensors, one epoch per iteration."""
import os

import numpy as np

import _fastimg

from ._tensor import native_batches

_ORDERS = ("random", "quasi_random", "sequential")


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, not {value!r}")
    return value


def train_transforms():
    """torchvision's training augmentation: random-resized crop, then a horizontal flip."""
    return [_fastimg.RandomResizedCrop(), _fastimg.RandomHorizontalFlip()]


class Loader:
    """Batches of uint8 [N, H, W, 3] images and int64 [N] labels from a .beton file, an ImageFolder
    directory or WebDataset shards, decoded by C++ threads (the GIL is released while waiting).

    Every epoch's order, crops and flips are a function of (seed, epoch): identical for any thread
    count. A batch is a view of a loader buffer and stays valid until the next batch is requested
    (copy it, or move it to a device, to keep it longer), as with FFCV.
    """

    def __init__(self, path, batch_size, *, resolution=224, transforms=None, order="random", seed=0, threads=0,
                 drop_last=True, rank=0, world_size=1, batches_ahead=3, pin_memory=False, indices=None,
                 image_field="image", label_field="label", strict=False):
        if order not in _ORDERS:
            raise ValueError(f"order must be one of {', '.join(_ORDERS)}, not {order!r}")
        _check_int("world_size", world_size, 1)
        if not 0 <= _check_int("rank", rank, 0) < world_size:
            raise ValueError(f"rank {rank} is not below world_size {world_size}")
        options = _fastimg.LoaderOptions()
        options.path = os.fspath(path)
        options.batch_size = _check_int("batch_size", batch_size, 1)
        options.resolution = _check_int("resolution", resolution, 1)
        options.transforms = train_transforms() if transforms is None else list(transforms)
        options.order = order
        options.seed = _check_int("seed", seed, 0)
        options.threads = _check_int("threads", threads, 0)
        options.drop_last = bool(drop_last)
        options.rank, options.world_size = rank, world_size
        options.batches_ahead = _check_int("batches_ahead", batches_ahead, 1)
        options.pin_memory = bool(pin_memory)
        if indices is not None:
            options.indices = _checked_indices(indices)
        options.image_field, options.label_field = image_field, label_field
        options.strict = bool(strict)
        self._native = _fastimg.Loader(options)
        self.next_epoch = 0

    def __len__(self):
        return self._native.batches_per_epoch

    def set_epoch(self, epoch):
        """The epoch the next iteration runs (iterating advances it by one, like FFCV's next_epoch)."""
        self.next_epoch = _check_int("epoch", epoch, 0)

    def __iter__(self):
        epoch = self.next_epoch
        self.next_epoch += 1
        return self.epoch(epoch)

    def epoch(self, epoch, first_batch=0):
        """The batches of one epoch, starting at first_batch (a resume decodes nothing before it)."""
        self._native.start_epoch(epoch, first_batch)
        return native_batches(self._native)

    def copies_queued(self, device):
        """Non-blocking copies from the last batch were queued on `device`'s current stream: its buffer
        is not refilled before they complete."""
        self._native.copies_queued(str(device))

    def set_resolution(self, resolution):
        """Output side from the next epoch on (progressive resizing)."""
        self._native.set_resolution(_check_int("resolution", resolution, 1))

    @property
    def num_samples(self):
        return self._native.num_samples

    @property
    def num_classes(self):
        return self._native.num_classes

    @property
    def num_threads(self):
        return self._native.num_threads

    @property
    def samples_decoded(self):
        return self._native.samples_decoded

    def problems(self):
        """One line per unreadable sample skipped so far."""
        return self._native.problems()

    def close(self):
        """Stops the threads and unmaps the file; batches already handed out stay valid."""
        self._native.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _checked_indices(indices):
    array = np.asarray(indices)
    if array.ndim != 1 or array.size == 0 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError("indices must be a non-empty list of sample numbers (None for every sample)")
    if array.min() < 0:
        raise ValueError(f"indices must be sample numbers >= 0, not {array.min()}")
    return array.astype(np.uint64).tolist()
