from . import basics, decoders, rgb_image
from .decoders import CenterCropRGBImageDecoder, IntDecoder, RandomResizedCropRGBImageDecoder, SimpleRGBImageDecoder

__all__ = ["basics", "decoders", "rgb_image", "CenterCropRGBImageDecoder", "IntDecoder",
           "RandomResizedCropRGBImageDecoder", "SimpleRGBImageDecoder"]
