#pragma once
// What a run uses, said once before it starts (and by `fastimg doctor` without training): the
// device, how this binary was built, precision, memory format, decode backend, CUDA graphs and
// world size. Also the one check that keeps a GPU machine from training on its CPU by accident.
#include <torch/torch.h>

#include <string>

#include "loader/loader_options.h"
#include "train/config.h"

namespace fastimg::train {

// Whether this binary links LibTorch's CUDA backend (FASTIMG_CUDA=ON).
bool built_with_cuda();
// Whether the NVIDIA driver reports a GPU (the driver's /proc entries; no CUDA call needed).
bool nvidia_gpu_visible(const std::string& driver_gpus_dir = "/proc/driver/nvidia/gpus");
// train.device auto or cuda on a machine with an NVIDIA GPU but a binary without CUDA is an error
// that says how to build the CUDA binary, never a silent CPU run.
void check_cuda_build(DeviceChoice choice, bool cuda_build, bool gpu_visible);

// data.decode for a run on `device`: auto is gpu on a CUDA device when this binary has nvJPEG, else
// cpu; gpu where it cannot run is a one-line error.
loader::DecodeBackend resolve_decode(const TrainConfig& config, const torch::Device& device);
// The GPU-only settings (data.decode = gpu, train.cuda_graphs) against the device, the optimizer and
// the world size: one-line errors before any data is opened.
void check_gpu_features(const TrainConfig& config, const torch::Device& device, int world_size);

std::string describe_device(const torch::Device& device);  // "NVIDIA H200 (139.8 GiB) x 1 visible" / "cpu (2 cores)"
std::string describe_build();                               // "CUDA 13.0, cuDNN yes" / "CPU-only (no CUDA)"
// One line: device, build, precision, channels-last, decode backend, CUDA graphs, world size.
std::string start_line(const TrainConfig& config, const torch::Device& device, int world_size, int loader_threads);

}  // namespace fastimg::train
