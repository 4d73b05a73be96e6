// Measurement (b) for bench/gpu: fastimg's training step images/s on synthetic GPU data, the
// same work as train_step_bench.py (models::make_model, channels-last, bf16 autocast, fused SGD,
// label-smoothed cross-entropy), eager or replayed as a CUDA graph (train/cuda_graph_step.h).
// Prints one JSON object per configuration, like the Python baseline.
//   train_step_bench [--models resnet18,resnet50] [--batches 256,512] [--resolutions 160,192]
//                    [--warmup 10] [--iters 50] [--graph 0|1]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "models/registry.h"
#include "optim/loss.h"
#include "optim/optimizer.h"
#include "train/autocast.h"
#if defined(FASTIMG_HAS_CUDA)
#include <ATen/Context.h>
#include <c10/cuda/CUDACachingAllocator.h>

#include "train/cuda_graph_step.h"
#endif

namespace {

[[maybe_unused]] std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

#if defined(FASTIMG_HAS_CUDA)
double bench(const std::string& name, int64_t batch, int64_t res, int warmup, int iters, bool graph) {
  using namespace fastimg;
  torch::manual_seed(0);
  auto model = models::make_model(name, {});
  model->to(torch::kCUDA);
  models::to_channels_last(*model);
  model->train();
  optim::OptimizerOptions o;
  o.lr = 0.1;
  auto opt = optim::make_optimizer(o, *model);
  auto x = torch::randn({batch, 3, res, res}, torch::kCUDA).to(torch::kBFloat16).contiguous(at::MemoryFormat::ChannelsLast);
  auto y = torch::randint(0, 1000, {batch}, torch::TensorOptions().dtype(torch::kInt64).device(torch::kCUDA));

  std::unique_ptr<train::CudaGraphStep> g;
  if (graph) g = std::make_unique<train::CudaGraphStep>(*model, *opt, train::CudaGraphStepOptions{.label_smoothing = 0.1, .apply_update = true, .loss_scale = {}});
  auto step = [&] {
    if (g) {
      g->step(x, y);
      return;
    }
    opt->step([&] {
      for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
      torch::Tensor loss;
      {
        train::AutocastScope amp(torch::kCUDA, torch::kBFloat16);
        loss = optim::label_smoothing_cross_entropy(model->forward(x), y, 0.1);
      }
      loss.backward();
      return loss.detach();
    });
  };
  for (int i = 0; i < warmup; ++i) step();
  torch::cuda::synchronize();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) step();
  torch::cuda::synchronize();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(batch) * iters / s;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  std::string models = "resnet18,resnet50", batches = "256,512", resolutions = "160,192";
  int warmup = 10, iters = 50;
  bool graph = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--models") models = v;
    else if (k == "--batches") batches = v;
    else if (k == "--resolutions") resolutions = v;
    else if (k == "--warmup") warmup = std::stoi(v);
    else if (k == "--iters") iters = std::stoi(v);
    else if (k == "--graph") graph = v != "0";
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
#if defined(FASTIMG_HAS_CUDA)
  if (!torch::cuda::is_available()) {
    std::fprintf(stderr, "train_step_bench: no CUDA device\n");
    return 1;
  }
  at::globalContext().setBenchmarkCuDNN(true);
  try {
    for (const auto& m : split(models)) {
      for (const auto& b : split(batches)) {
        for (const auto& r : split(resolutions)) {
          const double ips = bench(m, std::stoll(b), std::stoll(r), warmup, iters, graph);
          std::printf("{\"model\": \"%s\", \"batch\": %s, \"resolution\": %s, \"graph\": %s, \"images_per_s\": %.1f}\n",
                      m.c_str(), b.c_str(), r.c_str(), graph ? "true" : "false", ips);
          std::fflush(stdout);
          c10::cuda::CUDACachingAllocator::emptyCache();
        }
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_step_bench: %s\n", e.what());
    return 1;
  }
  return 0;
#else
  (void)warmup, (void)iters, (void)graph;
  std::fprintf(stderr, "train_step_bench: built without CUDA (configure with -DFASTIMG_CUDA=ON)\n");
  return 1;
#endif
}
