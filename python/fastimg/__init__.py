"""fastimg from Python: the C++ loader, writer and inspector over `.beton` files.

    import fastimg
    fastimg.write_imagefolder("~/imagenet/train", "train.beton", max_resolution=256)
    loader = fastimg.Loader("train.beton", batch_size=256, resolution=160)
    for images, labels in loader:   # uint8 [N, H, W, 3] and int64 [N] torch tensors, no copy
        ...

`fastimg.ffcv_compat` takes FFCV's Loader arguments and pipelines unchanged.
"""
import torch  # noqa: F401  (loads LibTorch before the extension module that links it)

import _fastimg

from .dataset import inspect, write_imagefolder, write_webdataset
from .loader import Loader

Error = _fastimg.Error
RandomResizedCrop = _fastimg.RandomResizedCrop
CenterCrop = _fastimg.CenterCrop
RandomHorizontalFlip = _fastimg.RandomHorizontalFlip

__all__ = ["Loader", "Error", "write_imagefolder", "write_webdataset", "inspect", "RandomResizedCrop",
           "CenterCrop", "RandomHorizontalFlip"]
