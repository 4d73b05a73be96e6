#include "codec/nvjpeg_decoder.h"

#if defined(FASTIMG_HAS_NVJPEG)
#include <nvjpeg.h>

#include <string>
#include <vector>

#include "util/error.h"

namespace fastimg::codec {
namespace {

void check_cuda(cudaError_t rc, std::string_view what) {
  if (rc != cudaSuccess) fail("{}: CUDA error: {}", what, cudaGetErrorString(rc));
}

void check_nvjpeg(nvjpegStatus_t rc, std::string_view what) {
  if (rc != NVJPEG_STATUS_SUCCESS) fail("{}: nvJPEG error {}", what, static_cast<int>(rc));
}

}  // namespace

struct NvjpegDecoder::State {
  int device = 0;
  bool hardware = false;
  // hw: the hardware engine's batched decoder (when created); sw: the default backend, for the
  // streams the engine rejects (progressive, 4:1:0, 4:1:1, ...) and for GPUs without an engine.
  nvjpegHandle_t hw = nullptr, sw = nullptr;
  nvjpegJpegState_t hw_state = nullptr, sw_state = nullptr;
  nvjpegJpegStream_t parsed = nullptr;
  int hw_batch = -1;  // the batch size hw_state was initialised for

  ~State() {
    cudaSetDevice(device);
    if (parsed) nvjpegJpegStreamDestroy(parsed);
    if (hw_state) nvjpegJpegStateDestroy(hw_state);
    if (sw_state) nvjpegJpegStateDestroy(sw_state);
    if (hw) nvjpegDestroy(hw);
    if (sw) nvjpegDestroy(sw);
  }
};

NvjpegDecoder::NvjpegDecoder(int device) : state_(std::make_unique<State>()) {
  auto& s = *state_;
  s.device = device;
  check_cuda(cudaSetDevice(device), "nvJPEG decoder");
  // The hardware backend exists only on GPUs with a JPEG engine; creating it fails elsewhere.
  if (nvjpegCreateEx(NVJPEG_BACKEND_HARDWARE, nullptr, nullptr, 0, &s.hw) == NVJPEG_STATUS_SUCCESS) {
    s.hardware = true;
    check_nvjpeg(nvjpegJpegStateCreate(s.hw, &s.hw_state), "nvJPEG hardware state");
  } else {
    s.hw = nullptr;
  }
  check_nvjpeg(nvjpegCreateEx(NVJPEG_BACKEND_DEFAULT, nullptr, nullptr, 0, &s.sw), "nvJPEG handle");
  check_nvjpeg(nvjpegJpegStateCreate(s.sw, &s.sw_state), "nvJPEG state");
  check_nvjpeg(nvjpegJpegStreamCreate(s.hardware ? s.hw : s.sw, &s.parsed), "nvJPEG stream");
}

NvjpegDecoder::~NvjpegDecoder() = default;

bool NvjpegDecoder::hardware() const { return state_->hardware; }

JpegInfo NvjpegDecoder::read_header(std::span<const uint8_t> jpeg, std::string_view what) {
  int components = 0;
  nvjpegChromaSubsampling_t subsampling{};
  int widths[NVJPEG_MAX_COMPONENT] = {}, heights[NVJPEG_MAX_COMPONENT] = {};
  check_nvjpeg(nvjpegGetImageInfo(state_->sw, jpeg.data(), jpeg.size(), &components, &subsampling, widths, heights),
               what);
  return {widths[0], heights[0], components};
}

void NvjpegDecoder::decode(std::span<const GpuDecodeJob> jobs, cudaStream_t stream) {
  auto& s = *state_;
  const int count = static_cast<int>(jobs.size());
  if (count == 0) return;
  check_cuda(cudaSetDevice(s.device), "nvJPEG decode");
  std::vector<nvjpegImage_t> images(count);
  for (int i = 0; i < count; ++i) {
    images[i] = nvjpegImage_t{};
    images[i].channel[0] = jobs[i].dst;
    images[i].pitch[0] = static_cast<size_t>(jobs[i].width) * 3;
  }

  // The hardware engine takes what it supports in one batched call; the rest decode one by one.
  std::vector<int> batched, single;
  for (int i = 0; i < count; ++i) {
    int unsupported = 1;
    if (s.hardware && nvjpegJpegStreamParse(s.hw, jobs[i].jpeg.data(), jobs[i].jpeg.size(), 0, 0, s.parsed) ==
                          NVJPEG_STATUS_SUCCESS) {
      if (nvjpegDecodeBatchedSupported(s.hw, s.parsed, &unsupported) != NVJPEG_STATUS_SUCCESS) unsupported = 1;
    }
    (unsupported == 0 ? batched : single).push_back(i);
  }
  if (!batched.empty()) {
    const int n = static_cast<int>(batched.size());
    if (n != s.hw_batch) {
      check_nvjpeg(nvjpegDecodeBatchedInitialize(s.hw, s.hw_state, n, 1, NVJPEG_OUTPUT_RGBI), "nvJPEG batch init");
      s.hw_batch = n;
    }
    std::vector<const unsigned char*> data(n);
    std::vector<size_t> lengths(n);
    std::vector<nvjpegImage_t> outs(n);
    for (int k = 0; k < n; ++k) {
      data[k] = jobs[batched[k]].jpeg.data();
      lengths[k] = jobs[batched[k]].jpeg.size();
      outs[k] = images[batched[k]];
    }
    if (nvjpegDecodeBatched(s.hw, s.hw_state, data.data(), lengths.data(), outs.data(), stream) !=
        NVJPEG_STATUS_SUCCESS) {
      // A batch fails as a whole: decode its images singly to name the sample that is bad.
      s.hw_batch = -1;
      single.insert(single.end(), batched.begin(), batched.end());
    }
  }
  for (int i : single) {
    check_nvjpeg(nvjpegDecode(s.sw, s.sw_state, jobs[i].jpeg.data(), jobs[i].jpeg.size(), NVJPEG_OUTPUT_RGBI,
                              &images[i], stream),
                 jobs[i].what);
  }
}

}  // namespace fastimg::codec
#endif  // FASTIMG_HAS_NVJPEG
