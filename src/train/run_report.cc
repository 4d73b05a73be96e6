#include "train/run_report.h"

#include <fmt/format.h>

#include <filesystem>
#include <thread>

#include "loader/device_jpeg_decoder.h"
#include "train/train_step.h"
#include "util/error.h"
#include "util/named_enum.h"

#if defined(FASTIMG_HAS_CUDA)
#include <ATen/cuda/CUDAContext.h>
#endif

namespace fastimg::train {

bool built_with_cuda() {
#if defined(FASTIMG_HAS_CUDA)
  return true;
#else
  return false;
#endif
}

bool nvidia_gpu_visible(const std::string& driver_gpus_dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(driver_gpus_dir, ec)) {
    (void)entry;
    return true;
  }
  return false;
}

void check_cuda_build(DeviceChoice choice, bool cuda_build, bool gpu_visible) {
  if (choice == DeviceChoice::kCpu || cuda_build || !gpu_visible) return;
  fail("train.device = '{}': this machine has an NVIDIA GPU but this fastimg binary was built without CUDA; "
       "build the CUDA binary with `bash scripts/setup.sh` (it configures FASTIMG_CUDA=ON when nvcc matches torch's "
       "CUDA) or `cmake -B build -DFASTIMG_CUDA=ON`, or set train.device = \"cpu\" to train on the CPU",
       enum_name<DeviceChoice>(kDeviceNames, choice));
}

loader::DecodeBackend resolve_decode(const TrainConfig& config, const torch::Device& device) {
  switch (config.data.train.decode) {
    case loader::DecodeBackend::kCpu:
      return loader::DecodeBackend::kCpu;
    case loader::DecodeBackend::kAuto:
      return device.is_cuda() && loader::nvjpeg_built() ? loader::DecodeBackend::kDevice : loader::DecodeBackend::kCpu;
    case loader::DecodeBackend::kDevice:
      break;
  }
  if (!device.is_cuda())
    fail("data.decode = \"gpu\" needs a CUDA device, but this run is on {} (train.device = \"{}\"); use data.decode = "
         "\"cpu\" or \"auto\"",
         device.str(), enum_name<DeviceChoice>(kDeviceNames, config.train.device));
  if (!loader::nvjpeg_built())
    fail("data.decode = \"gpu\": this binary was built without nvJPEG (bash scripts/setup.sh installs the nvidia-nvjpeg "
         "wheel for CUDA builds); use data.decode = \"cpu\"");
  return loader::DecodeBackend::kDevice;
}

void check_gpu_features(const TrainConfig& config, const torch::Device& device, int world_size) {
  resolve_decode(config, device);
  if (!config.train.cuda_graphs) return;
  TrainStepOptions step;
  static_cast<StepSettings&>(step) = config.step;
  step.device_type = device.type();
  const bool two_passes = config.optimizer.name.rfind("sam", 0) == 0;
  const std::string why = cuda_graphs_refusal(step, two_passes, world_size);
  if (!why.empty()) fail("train.cuda_graphs = true cannot be used here: {}; set train.cuda_graphs = false", why);
}

std::string describe_device(const torch::Device& device) {
  if (!device.is_cuda())
    return fmt::format("cpu ({} cores)", std::max(1u, std::thread::hardware_concurrency()));
#if defined(FASTIMG_HAS_CUDA)
  const cudaDeviceProp* p = at::cuda::getDeviceProperties(device.index());
  return fmt::format("{} {} ({:.1f} GiB), {} visible", device.str(), p->name,
                     static_cast<double>(p->totalGlobalMem) / (1ull << 30), torch::cuda::device_count());
#else
  return device.str();
#endif
}

std::string describe_build() {
  if (!built_with_cuda()) return "CPU-only (no CUDA)";
  if (!at::Context::hasCuDNN()) return "CUDA, no cuDNN";
  return fmt::format("CUDA, cuDNN {}", at::Context::versionCuDNN());
}

std::string start_line(const TrainConfig& c, const torch::Device& device, int world_size, int loader_threads) {
  const bool gpu_decode = resolve_decode(c, device) == loader::DecodeBackend::kDevice;
  return fmt::format(
      "fastimg train: device {} | build {} | precision {} | channels-last {} | decode {} {} threads | "
      "CUDA graphs {} | world size {}",
      describe_device(device), describe_build(), enum_name<Precision>(kPrecisionNames, c.train.precision),
      c.train.channels_last ? "on" : "off", gpu_decode ? "gpu nvJPEG + non-JPEG on" : "cpu libjpeg-turbo,",
      loader_threads, c.train.cuda_graphs ? "on" : "off", world_size);
}

}  // namespace fastimg::train
