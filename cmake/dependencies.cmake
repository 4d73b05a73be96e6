# Every external dependency, found once. Versions come from Debian 12 and the pinned torch wheel.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
pkg_check_modules(LIBJPEG REQUIRED IMPORTED_TARGET libjpeg)
pkg_check_modules(LIBPNG REQUIRED IMPORTED_TARGET libpng)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(CLI11 REQUIRED)

# Debian splits OpenCV into per-module -dev packages without a CMake config; import the three we use.
find_path(OpenCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
add_library(fastimg_opencv INTERFACE)
foreach(module core imgproc imgcodecs)
  find_library(OpenCV_${module}_LIBRARY opencv_${module} REQUIRED)
  target_link_libraries(fastimg_opencv INTERFACE ${OpenCV_${module}_LIBRARY})
endforeach()
target_include_directories(fastimg_opencv SYSTEM INTERFACE ${OpenCV_INCLUDE_DIR})

# LibTorch from the pinned PyPI torch wheel (scripts/setup.sh installs it).
# Development.Module (headers) for the Python module, which is skipped without them.
find_package(Python3 REQUIRED COMPONENTS Interpreter OPTIONAL_COMPONENTS Development.Module)
execute_process(
  COMMAND ${Python3_EXECUTABLE} -c "import torch; print(torch.utils.cmake_prefix_path, end='')"
  OUTPUT_VARIABLE FASTIMG_TORCH_PREFIX RESULT_VARIABLE torch_rc)
if(NOT torch_rc EQUAL 0)
  message(FATAL_ERROR "python3 cannot import torch: run scripts/setup.sh")
endif()
include(cmake/torch.cmake)

if(FASTIMG_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(FASTIMG_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
