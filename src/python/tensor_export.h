#pragma once
// Tensors cross into Python without a copy as DLPack capsules; fastimg/_tensor.py turns them into
// torch.Tensor with torch.from_dlpack. The capsule keeps the tensor's storage alive (the loader's
// batch buffer), so a Python tensor outlives the Loader safely.
#include <pybind11/pybind11.h>
#include <torch/torch.h>

namespace fastimg::python {

pybind11::capsule to_capsule(const torch::Tensor& tensor);

}  // namespace fastimg::python
