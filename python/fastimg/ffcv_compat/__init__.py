"""FFCV's loading API over fastimg's C++ loader: change `ffcv` to `fastimg.ffcv_compat` in the imports.

    from fastimg.ffcv_compat.loader import Loader, OrderOption
    from fastimg.ffcv_compat.transforms import ToTensor, ToDevice, ToTorchImage, NormalizeImage, Squeeze
    from fastimg.ffcv_compat.fields.decoders import RandomResizedCropRGBImageDecoder, IntDecoder

Supported: RandomResizedCropRGBImageDecoder, CenterCropRGBImageDecoder, SimpleRGBImageDecoder,
IntDecoder, RandomHorizontalFlip, ToTensor, ToDevice, ToTorchImage, Convert, NormalizeImage, Squeeze
and torch modules; any other operation is an error naming it. FFCV need not be installed.
"""
from . import fields, loader, pipeline, transforms
from .fields.decoders import (CenterCropRGBImageDecoder, IntDecoder, RandomResizedCropRGBImageDecoder,
                              SimpleRGBImageDecoder)
from .loader import Loader, OrderOption
from .transforms import Convert, NormalizeImage, RandomHorizontalFlip, Squeeze, ToDevice, ToTensor, ToTorchImage

__all__ = ["Loader", "OrderOption", "CenterCropRGBImageDecoder", "IntDecoder", "RandomResizedCropRGBImageDecoder",
           "SimpleRGBImageDecoder", "Convert", "NormalizeImage", "RandomHorizontalFlip", "Squeeze", "ToDevice",
           "ToTensor", "ToTorchImage", "fields", "loader", "pipeline", "transforms"]
