from .decoders import IntDecoder

__all__ = ["IntDecoder"]
