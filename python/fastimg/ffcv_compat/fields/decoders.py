"""FFCV's field decoders: the image decoders become the C++ loader's crop plan, IntDecoder its labels."""
from ..pipeline.operation import Operation

DEFAULT_CROP_RATIO = 224 / 256


def _square_side(output_size, decoder):
    if isinstance(output_size, int):
        return output_size
    height, width = output_size
    if height != width:
        raise ValueError(f"{decoder}: output_size {tuple(output_size)} is not square; fastimg's loader "
                         "produces square images")
    return int(height)


class SimpleRGBImageDecoder(Operation):
    """The whole image, undecorated; every image of the field must have the same size."""


class RandomResizedCropRGBImageDecoder(Operation):
    def __init__(self, output_size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
        self.output_size = output_size
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)
        self.side = _square_side(output_size, type(self).__name__)


class CenterCropRGBImageDecoder(Operation):
    def __init__(self, output_size, ratio=DEFAULT_CROP_RATIO):
        self.output_size = output_size
        self.ratio = ratio
        self.side = _square_side(output_size, type(self).__name__)


class IntDecoder(Operation):
    """The int field as an int64 [N, 1] array (FFCV's shape)."""


IMAGE_DECODERS = (SimpleRGBImageDecoder, RandomResizedCropRGBImageDecoder, CenterCropRGBImageDecoder)
