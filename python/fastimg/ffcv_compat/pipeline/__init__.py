from .operation import Operation

__all__ = ["Operation"]
