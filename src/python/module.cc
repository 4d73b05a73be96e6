// The _fastimg extension module: fastimg's C++ loader, writer and inspector for Python. The
// Python package (python/fastimg) wraps it; users import `fastimg`, not this module.
#include <pybind11/pybind11.h>

#include <c10/util/Exception.h>

#include "python/bindings.h"
#include "util/error.h"

PYBIND11_MODULE(_fastimg, m) {
  m.doc() = "fastimg's C++ core (use the fastimg package)";
  // fastimg::Error carries our one-line messages; LibTorch's errors lose their C++ backtrace.
  static pybind11::exception<fastimg::Error> error(m, "Error", PyExc_RuntimeError);
  pybind11::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const fastimg::Error& e) {
      pybind11::set_error(error, e.what());
    } catch (const c10::Error& e) {
      pybind11::set_error(PyExc_RuntimeError, e.what_without_backtrace());
    }
  });
  fastimg::python::bind_loader(m);
  fastimg::python::bind_dataset(m);
}
