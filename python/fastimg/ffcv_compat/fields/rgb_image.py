from .decoders import CenterCropRGBImageDecoder, RandomResizedCropRGBImageDecoder, SimpleRGBImageDecoder

__all__ = ["CenterCropRGBImageDecoder", "RandomResizedCropRGBImageDecoder", "SimpleRGBImageDecoder"]
