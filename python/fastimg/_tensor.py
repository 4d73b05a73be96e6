"""Batches arrive from the C++ loader as DLPack capsules: torch tensors over its buffers, no copy."""
import torch


def batch_tensors(capsules):
    images, labels = capsules
    return torch.from_dlpack(images), torch.from_dlpack(labels)


def native_batches(native):
    """(images, labels) tensors from a _fastimg.Loader until its epoch ends."""
    while True:
        capsules = native.next()
        if capsules is None:
            return
        yield batch_tensors(capsules)
