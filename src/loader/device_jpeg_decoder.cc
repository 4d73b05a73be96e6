#include "loader/device_jpeg_decoder.h"

#include "util/error.h"

#if defined(FASTIMG_HAS_NVJPEG)
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "codec/nvjpeg_decoder.h"
#endif

namespace fastimg::loader {
namespace {

std::string sample_label(const DeferredImage& image) { return fmt::format("sample {}", image.sample); }

class HostJpegDecoder final : public DeviceJpegDecoder {
 public:
  std::vector<torch::Tensor> decode(std::span<const DeferredImage> images, torch::Device device) override {
    std::vector<torch::Tensor> out;
    out.reserve(images.size());
    for (const DeferredImage& image : images) {
      codec::Image decoded = codec::decode_image(image.jpeg, sample_label(image));
      auto host = torch::from_blob(decoded.pixels.data(), {decoded.height, decoded.width, 3}, torch::kUInt8).clone();
      out.push_back(host.to(device));
    }
    return out;
  }
  std::string name() const override { return "libjpeg-turbo"; }
};

#if defined(FASTIMG_HAS_NVJPEG)
class NvjpegImageDecoder final : public DeviceJpegDecoder {
 public:
  explicit NvjpegImageDecoder(torch::Device device) : device_(device), nvjpeg_(device.index()) {}

  std::vector<torch::Tensor> decode(std::span<const DeferredImage> images, torch::Device device) override {
    if (device != device_) fail("nvJPEG decoder for {} asked to decode on {}", device_.str(), device.str());
    c10::cuda::CUDAGuard guard(device_);
    std::vector<torch::Tensor> out;
    std::vector<std::string> names;
    std::vector<codec::GpuDecodeJob> jobs;
    out.reserve(images.size());
    names.reserve(images.size());
    for (const DeferredImage& image : images) {
      names.push_back(sample_label(image));
      const codec::JpegInfo info = nvjpeg_.read_header(image.jpeg, names.back());
      // Allocated on the current stream, where the decode is queued: the allocator orders reuse.
      out.push_back(torch::empty({info.height, info.width, 3}, torch::TensorOptions().dtype(torch::kUInt8).device(device_)));
      jobs.push_back({image.jpeg, out.back().data_ptr<uint8_t>(), info.width, info.height, names.back()});
    }
    nvjpeg_.decode(jobs, c10::cuda::getCurrentCUDAStream(device_.index()).stream());
    return out;
  }
  std::string name() const override { return nvjpeg_.hardware() ? "nvJPEG (hardware engine)" : "nvJPEG"; }

 private:
  torch::Device device_;
  codec::NvjpegDecoder nvjpeg_;
};
#endif

}  // namespace

std::unique_ptr<DeviceJpegDecoder> make_host_jpeg_decoder() { return std::make_unique<HostJpegDecoder>(); }

bool nvjpeg_built() {
#if defined(FASTIMG_HAS_NVJPEG)
  return true;
#else
  return false;
#endif
}

std::unique_ptr<DeviceJpegDecoder> make_nvjpeg_decoder(torch::Device device) {
  if (!device.is_cuda()) fail("data.decode = gpu needs a CUDA device; the run is on {}", device.str());
#if defined(FASTIMG_HAS_NVJPEG)
  return std::make_unique<NvjpegImageDecoder>(device.has_index() ? device : torch::Device(torch::kCUDA, 0));
#else
  fail("data.decode = gpu: this binary was built without nvJPEG (bash scripts/setup.sh installs the nvidia-nvjpeg "
       "wheel in CUDA builds, or pass -DFASTIMG_NVJPEG_ROOT=<dir with include/nvjpeg.h>)");
#endif
}

}  // namespace fastimg::loader
