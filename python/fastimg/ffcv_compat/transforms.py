"""FFCV's batch transforms. Each checks at construction of the Loader what it receives (numpy or
torch, layout, device), exactly where FFCV's pipeline compiler would fail, and runs as one batched
torch op per batch. RandomHorizontalFlip is folded into the C++ loader's per-sample plan."""
import numpy as np
import torch

from .pipeline.operation import Operation


class Stage:
    """What a pipeline holds at one point: `numpy` before ToTensor, then `torch` (the values are
    torch tensors internally either way; a numpy stage is handed out as a zero-copy numpy view)."""

    def __init__(self, kind, layout, device=torch.device("cpu"), dtype=torch.uint8):
        self.kind, self.layout, self.device, self.dtype = kind, layout, device, dtype

    def but(self, **changes):
        new = Stage(self.kind, self.layout, self.device, self.dtype)
        for key, value in changes.items():
            setattr(new, key, value)
        return new


def _needs_tensor(op, stage):
    if stage.kind != "torch":
        raise ValueError(f"{type(op).__name__} needs a torch tensor: put ToTensor() before it")


def torch_dtype(dtype):
    """A torch dtype for a torch or numpy dtype (FFCV's operations take either)."""
    if isinstance(dtype, torch.dtype):
        return dtype
    return torch.from_numpy(np.empty(0, dtype=np.dtype(dtype))).dtype


class ToTensor(Operation):
    def compile(self, stage):
        if stage.kind == "torch":
            raise ValueError("ToTensor: the pipeline already holds a torch tensor")
        return None, stage.but(kind="torch")


class ToDevice(Operation):
    def __init__(self, device, non_blocking=True):
        self.device = torch.device(device)
        self.non_blocking = non_blocking

    def compile(self, stage):
        _needs_tensor(self, stage)
        device, non_blocking = self.device, self.non_blocking
        return (lambda x: x.to(device, non_blocking=non_blocking)), stage.but(device=device)


class ToTorchImage(Operation):
    def __init__(self, channels_last=True, convert_back_int16=True):
        self.channels_last = channels_last
        self.convert_back_int16 = convert_back_int16

    def compile(self, stage):
        _needs_tensor(self, stage)
        if stage.layout != "NHWC":
            raise ValueError(f"ToTorchImage needs an image batch [N, H, W, C], not {stage.layout}")
        if self.channels_last:  # NCHW sizes over NHWC memory: torch's channels_last, no copy
            return (lambda x: x.permute(0, 3, 1, 2)), stage.but(layout="NCHW")
        return (lambda x: x.permute(0, 3, 1, 2).contiguous()), stage.but(layout="NCHW")


class Convert(Operation):
    def __init__(self, target_dtype):
        self.target_dtype = target_dtype

    def compile(self, stage):
        dtype = torch_dtype(self.target_dtype)
        return (lambda x: x.to(dtype)), stage.but(dtype=dtype)


class NormalizeImage(Operation):
    """(x - mean) / std per channel, as `type` (FFCV: on uint8 NHWC arrays, or on channels-last
    image tensors on the device)."""

    def __init__(self, mean, std, type):
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.asarray(std, dtype=np.float64)
        self.type = type

    def compile(self, stage):
        if stage.layout not in ("NHWC", "NCHW"):
            raise ValueError("NormalizeImage needs an image batch")
        if stage.kind == "numpy" and stage.dtype != torch.uint8:
            raise ValueError("NormalizeImage on arrays needs uint8 images (as in FFCV)")
        dtype = torch_dtype(self.type)
        shape = (1, 1, 1, 3) if stage.layout == "NHWC" else (1, 3, 1, 1)
        scale = torch.tensor(1 / self.std, dtype=torch.float32, device=stage.device).view(shape)
        shift = torch.tensor(-self.mean / self.std, dtype=torch.float32, device=stage.device).view(shape)

        def normalize(x):
            # One float32 pass in the input's memory layout (channels-last stays channels-last).
            return torch.addcmul(shift, x.to(torch.float32), scale).to(dtype)

        return normalize, stage.but(dtype=dtype)


class RandomHorizontalFlip(Operation):
    """Flips with probability flip_prob; drawn by the C++ loader from the sample's own generator."""

    def __init__(self, flip_prob=0.5):
        self.flip_prob = flip_prob


class Squeeze(Operation):
    def __init__(self, *dims):
        self.dims = dims

    def compile(self, stage):
        dims = self.dims
        layout = "labels" if stage.layout == "labels" else "squeezed"
        if not dims:
            return (lambda x: x.squeeze()), stage.but(layout=layout)
        return (lambda x: x.squeeze(dims)), stage.but(layout=layout)


def module_step(module, stage):
    """A torch.nn.Module (or any callable) in a pipeline: applied to the batch tensor."""
    if stage.kind != "torch":
        raise ValueError(f"{type(module).__name__} needs a torch tensor: put ToTensor() before it")
    return module, stage


__all__ = ["ToTensor", "ToDevice", "ToTorchImage", "Convert", "NormalizeImage", "RandomHorizontalFlip", "Squeeze"]
