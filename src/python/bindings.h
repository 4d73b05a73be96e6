#pragma once
// The parts of the _fastimg extension module, one per binding file.
#include <pybind11/pybind11.h>

namespace fastimg::python {

void bind_loader(pybind11::module_& m);   // loader_binding.cc
void bind_dataset(pybind11::module_& m);  // dataset_binding.cc: write, inspect

}  // namespace fastimg::python
