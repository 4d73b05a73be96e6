"""FFCV's Loader over fastimg's C++ loader: the same constructor, pipelines and outputs.

The image decoder and RandomHorizontalFlip become the C++ loader's per-sample plan (crop, resize
and flip while decoding, in C++ threads); the operations after it run as batched torch ops.
"""
import enum
import os

import numpy as np
import torch

import _fastimg

from .._tensor import native_batches
from ..dataset import inspect
from ..loader import _checked_indices
from .fields import decoders
from .pipeline.operation import Operation
from . import transforms as ops


class OrderOption(enum.Enum):
    SEQUENTIAL = "sequential"
    RANDOM = "random"
    QUASI_RANDOM = "quasi_random"


DEFAULT_OS_CACHE = True  # fastimg always maps the file: the OS page cache serves every worker


def _field_pipelines(fname, pipelines, custom_fields):
    """[(field name, field type, operations)] in the file's field order, the fields FFCV would load."""
    if custom_fields:
        raise ValueError(f"custom_fields ({', '.join(custom_fields)}) are not supported by fastimg.ffcv_compat")
    fields = [(f["name"], f["type"]) for f in inspect(fname)["fields"]]
    names = [name for name, _ in fields]
    for name in pipelines:
        if name not in names:
            raise ValueError(f"{fname}: pipelines names field '{name}', which the file does not have "
                             f"(fields: {', '.join(names)})")
    chosen = []
    for name, kind in fields:
        operations = pipelines.get(name, "default")
        if operations is None:
            continue
        if operations == "default":
            operations = [decoders.SimpleRGBImageDecoder() if kind == "rgb_image" else decoders.IntDecoder()]
        chosen.append((name, kind, list(operations)))
    return chosen


class _ImagePlan:
    """The C++ loader's side of the image pipeline: resolution and per-sample transforms."""

    def __init__(self, fname, field, operations):
        decoder = operations[0]
        if not isinstance(decoder, decoders.IMAGE_DECODERS):
            raise ValueError(f"the '{field}' pipeline must start with an RGB image decoder, not {_name(decoder)}")
        self.transforms = []
        if isinstance(decoder, decoders.RandomResizedCropRGBImageDecoder):
            self.resolution = decoder.side
            self.transforms.append(_fastimg.RandomResizedCrop(scale=decoder.scale, ratio=decoder.ratio))
        elif isinstance(decoder, decoders.CenterCropRGBImageDecoder):
            self.resolution = decoder.side
            self.transforms.append(_fastimg.CenterCrop(ratio=decoder.ratio))
        else:
            shapes = _fastimg.image_shapes(fname, field)
            if len(shapes) != 1:
                raise ValueError(f"{fname}: SimpleRGBImageDecoder needs images of one size; field '{field}' has "
                                 f"{len(shapes)} sizes (use a crop decoder)")
            (height, width), = shapes
            if height != width:
                raise ValueError(f"{fname}: SimpleRGBImageDecoder: images are {height}x{width}; fastimg's loader "
                                 "produces square images")
            self.resolution = height
        rest = operations[1:]
        tensor_at = next((i for i, op in enumerate(rest) if isinstance(op, ops.ToTensor)), len(rest))
        flips = [i for i, op in enumerate(rest) if isinstance(op, ops.RandomHorizontalFlip)]
        if len(flips) > 1:
            raise ValueError(f"the '{field}' pipeline has {len(flips)} RandomHorizontalFlip operations")
        if flips and flips[0] > tensor_at:
            raise ValueError("RandomHorizontalFlip works on arrays: put it before ToTensor (as in FFCV)")
        if flips:
            self.transforms.append(_fastimg.RandomHorizontalFlip(rest[flips[0]].flip_prob))
        self.batch_operations = [op for op in rest if not isinstance(op, ops.RandomHorizontalFlip)]


def _name(op):
    return type(op).__name__


def _compile(field, operations, stage):
    """The per-batch functions of a pipeline after its decoder, checked stage by stage."""
    steps = []
    for op in operations:
        if isinstance(op, decoders.IMAGE_DECODERS + (decoders.IntDecoder,)):
            raise ValueError(f"the '{field}' pipeline has a second decoder, {_name(op)}")
        if isinstance(op, Operation) and hasattr(op, "compile"):
            step, stage = op.compile(stage)
        elif isinstance(op, Operation) or not callable(op):
            raise ValueError(f"unsupported operation {_name(op)} in the '{field}' pipeline "
                             f"(fastimg.ffcv_compat supports {', '.join(ops.__all__)} and torch modules)")
        else:
            step, stage = ops.module_step(op, stage)
        if step is not None:
            steps.append(step)
    return steps, stage


class Loader:
    def __init__(self, fname, batch_size, num_workers=-1, os_cache=DEFAULT_OS_CACHE, order=OrderOption.SEQUENTIAL,
                 distributed=False, seed=None, indices=None, pipelines={}, custom_fields={}, drop_last=True,
                 batches_ahead=3, recompile=False):
        fname = os.fspath(fname)
        if not os.path.isfile(fname):
            raise FileNotFoundError(f"{fname}: no such .beton file")
        if not isinstance(order, OrderOption):
            raise ValueError(f"order must be an OrderOption, not {order!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, not {batch_size!r}")
        if seed is None and distributed and order == OrderOption.RANDOM:
            seed = 0  # FFCV's choice: every rank must draw the same order
        elif seed is None:  # FFCV draws one
            seed = int(np.random.randint(0, np.iinfo("int32").max))
        rank, world_size = _distributed_rank(distributed)
        self.fname, self.batch_size, self.order, self.distributed = fname, batch_size, order, distributed
        self.num_workers, self.os_cache, self.seed, self.drop_last = num_workers, os_cache, seed, drop_last
        self.batches_ahead, self.indices = batches_ahead, indices
        self.next_epoch = 0
        self._build(pipelines, custom_fields, rank, world_size)

    def _build(self, pipelines, custom_fields, rank, world_size):
        fields = _field_pipelines(self.fname, pipelines, custom_fields)
        images = [f for f in fields if f[1] == "rgb_image"]
        labels = [f for f in fields if f[1] == "int"]
        others = [f for f in fields if f[1] not in ("rgb_image", "int")]
        if len(images) != 1 or len(labels) > 1 or others:
            raise ValueError(f"{self.fname}: fastimg.ffcv_compat loads one RGB image field and at most one int "
                             f"field; the pipelines ask for {', '.join(f'{n} ({k})' for n, k, _ in fields)}")
        image_field, _, image_ops = images[0]
        plan = _ImagePlan(self.fname, image_field, image_ops)
        self._outputs = []  # (kind, steps, final stage) per output, in the file's field order
        for name, kind, operations in fields:
            if kind == "rgb_image":
                steps, stage = _compile(name, plan.batch_operations, ops.Stage("numpy", "NHWC"))
            else:
                if not isinstance(operations[0], decoders.IntDecoder):
                    raise ValueError(f"the '{name}' pipeline must start with IntDecoder, not {_name(operations[0])}")
                steps, stage = _compile(name, operations[1:], ops.Stage("numpy", "labels", dtype=torch.int64))
            self._outputs.append((kind, steps, stage))
        self._to_cuda = any(stage.device.type == "cuda" for _, _, stage in self._outputs)
        self._native = _native_loader(self, image_field, labels[0][0] if labels else "label", plan, rank,
                                      world_size)

    def __len__(self):
        return self._native.batches_per_epoch

    def set_epoch(self, epoch):
        self.next_epoch = epoch

    def __iter__(self):
        epoch = self.next_epoch
        self.next_epoch += 1
        self._native.start_epoch(epoch)
        return self._batches()

    def _batches(self):
        native = self._native
        for images, labels in native_batches(native):
            out = []
            for kind, steps, stage in self._outputs:
                x = images if kind == "rgb_image" else labels.view(-1, 1)
                for step in steps:
                    x = step(x)
                out.append(x.numpy() if stage.kind == "numpy" else x)
            if self._to_cuda:  # the buffer is not refilled while these copies read it
                native.copies_queued(f"cuda:{torch.cuda.current_device()}")
            yield tuple(out)

    def close(self):
        self._native.close()


def _distributed_rank(distributed):
    if not distributed:
        return 0, 1
    if not torch.distributed.is_available() or not torch.distributed.is_initialized():
        raise RuntimeError("distributed=True needs torch.distributed.init_process_group() first (as FFCV does)")
    return torch.distributed.get_rank(), torch.distributed.get_world_size()


def _native_loader(loader, image_field, label_field, plan, rank, world_size):
    options = _fastimg.LoaderOptions()
    options.path = loader.fname
    options.batch_size = loader.batch_size
    options.threads = 0 if loader.num_workers is None or loader.num_workers < 1 else int(loader.num_workers)
    options.order = loader.order.value
    options.transforms = plan.transforms
    options.resolution = plan.resolution
    options.seed = int(loader.seed)
    options.drop_last = bool(loader.drop_last)
    options.rank, options.world_size = rank, world_size
    options.batches_ahead = max(1, int(loader.batches_ahead))
    options.pin_memory = loader._to_cuda and torch.cuda.is_available()
    if loader.indices is not None:
        options.indices = _checked_indices(loader.indices)
    options.image_field, options.label_field = image_field, label_field
    return _fastimg.Loader(options)
