# fastimg_torch: LibTorch as one interface target.
#
# CPU builds import libtorch_cpu + libc10 straight from the wheel: configuring needs no CUDA
# toolkit and the binaries do not load the CUDA libraries. GPU builds (FASTIMG_CUDA=ON) use the
# wheel's own CMake config, which brings torch_cuda, cuDNN and NCCL.
get_filename_component(FASTIMG_TORCH_ROOT "${FASTIMG_TORCH_PREFIX}/../.." ABSOLUTE)
add_library(fastimg_torch INTERFACE)
if(FASTIMG_CUDA)
  # Torch's config copies CXX_STANDARD (20) to CUDA, which CMake 3.25 cannot pass to nvcc; our .cu
  # kernels are plain C++17. Without an arch list it would try_run a GPU probe at configure time,
  # which fails on build machines without a GPU: default to Hopper (H100/H200).
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_EXTENSIONS OFF)
  if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
    set(TORCH_CUDA_ARCH_LIST "9.0")
  endif()
  enable_language(CUDA)
  list(APPEND CMAKE_PREFIX_PATH "${FASTIMG_TORCH_PREFIX}")
  find_package(Torch REQUIRED)
  # The wheel's libtorch.so exports std::filesystem symbols of its own, and a binary resolves
  # them from the first library that defines them: listed before libstdc++, libtorch.so's
  # std::filesystem::remove_all crashes (a null call) in a CUDA build on a machine without a GPU.
  # libstdc++ goes first in the binaries' DT_NEEDED list.
  target_link_libraries(fastimg_torch INTERFACE "-Wl,--push-state,--no-as-needed" stdc++ "-Wl,--pop-state"
                        ${TORCH_LIBRARIES})
  target_compile_definitions(fastimg_torch INTERFACE FASTIMG_HAS_CUDA=1)
else()
  target_include_directories(fastimg_torch SYSTEM INTERFACE
    "${FASTIMG_TORCH_ROOT}/include"
    "${FASTIMG_TORCH_ROOT}/include/torch/csrc/api/include")
  target_link_libraries(fastimg_torch INTERFACE
    "${FASTIMG_TORCH_ROOT}/lib/libtorch_cpu.so"
    "${FASTIMG_TORCH_ROOT}/lib/libc10.so"
    Threads::Threads)
endif()
# The wheel is built with the C++11 ABI and with Gloo/c10d enabled.
target_compile_definitions(fastimg_torch INTERFACE _GLIBCXX_USE_CXX11_ABI=1 USE_C10D_GLOO=1 USE_DISTRIBUTED=1)
set(CMAKE_BUILD_RPATH "${FASTIMG_TORCH_ROOT}/lib")
set(CMAKE_INSTALL_RPATH "${FASTIMG_TORCH_ROOT}/lib")
