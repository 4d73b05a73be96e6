#include "python/tensor_export.h"

#include <ATen/DLConvertor.h>

namespace fastimg::python {
namespace {

constexpr const char* kUnconsumed = "dltensor";  // a consumer renames it to "used_dltensor"

void delete_unconsumed(PyObject* capsule) {
  if (!PyCapsule_IsValid(capsule, kUnconsumed)) return;
  auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule, kUnconsumed));
  if (managed != nullptr && managed->deleter != nullptr) managed->deleter(managed);
}

}  // namespace

pybind11::capsule to_capsule(const torch::Tensor& tensor) {
  DLManagedTensor* managed = at::toDLPack(tensor);
  PyObject* capsule = PyCapsule_New(managed, kUnconsumed, delete_unconsumed);
  if (capsule == nullptr) {
    managed->deleter(managed);
    throw pybind11::error_already_set();
  }
  return pybind11::reinterpret_steal<pybind11::capsule>(capsule);
}

}  // namespace fastimg::python
