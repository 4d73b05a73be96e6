// A CUDA-graph step against the eager step: same model, same data, same losses. Skipped (with the
// reason) in CPU builds and on machines without a GPU.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/registry.h"
#include "optim/loss.h"
#include "optim/optimizer.h"
#if defined(FASTIMG_HAS_CUDA)
#include "train/autocast.h"
#include "train/cuda_graph_step.h"
#endif

namespace fastimg::train {
namespace {

#if defined(FASTIMG_HAS_CUDA)
#define SKIP_WITHOUT_GPU() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine"

struct Run {
  models::Classifier model;
  std::unique_ptr<optim::Optimizer> opt;
};

Run make_run() {
  torch::manual_seed(7);
  Run r;
  r.model = models::make_model("resnet_mini", {.num_classes = 10});
  r.model->to(torch::kCUDA);
  models::to_channels_last(*r.model);
  optim::OptimizerOptions o;
  o.lr = 0.05;
  r.opt = optim::make_optimizer(o, *r.model);
  return r;
}

std::vector<std::pair<torch::Tensor, torch::Tensor>> batches(int n, int64_t res) {
  torch::manual_seed(11 + res);
  std::vector<std::pair<torch::Tensor, torch::Tensor>> out;
  for (int i = 0; i < n; ++i) {
    out.emplace_back(torch::randn({16, 3, res, res}, torch::kCUDA).contiguous(at::MemoryFormat::ChannelsLast),
                     torch::randint(0, 10, {16}, torch::TensorOptions().dtype(torch::kInt64).device(torch::kCUDA)));
  }
  return out;
}

std::vector<double> eager_losses(const std::vector<std::pair<torch::Tensor, torch::Tensor>>& data,
                                 torch::ScalarType amp) {
  Run r = make_run();
  r.model->train();
  std::vector<double> losses;
  for (const auto& [x, y] : data) {
    auto loss = r.opt->step([&] {
      for (auto& p : r.model->parameters()) p.mutable_grad() = torch::Tensor();
      torch::Tensor l;
      {
        AutocastScope scope(torch::kCUDA, amp);
        l = optim::label_smoothing_cross_entropy(r.model->forward(x), y, 0.1);
      }
      l.backward();
      return l.detach();
    });
    losses.push_back(loss.item<double>());
  }
  return losses;
}

std::vector<double> graph_losses(const std::vector<std::pair<torch::Tensor, torch::Tensor>>& data,
                                 torch::ScalarType amp, bool capture_optimizer, int64_t* graphs = nullptr) {
  Run r = make_run();
  CudaGraphStep step(*r.model, *r.opt, {.autocast = amp, .label_smoothing = 0.1, .warmup_steps = 2,
                                       .capture_optimizer = capture_optimizer, .apply_update = true, .loss_scale = {}});
  std::vector<double> losses;
  for (const auto& [x, y] : data) losses.push_back(step.step(x, y).item<double>());
  if (graphs) *graphs = step.graphs();
  return losses;
}

void expect_close(const std::vector<double>& a, const std::vector<double>& b, double rtol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], rtol * std::abs(b[i]) + 1e-6) << "step " << i;
}
#else
#define SKIP_WITHOUT_GPU() GTEST_SKIP() << "CPU build: configure with -DFASTIMG_CUDA=ON for CUDA graphs"
#endif

TEST(CudaGraphStep, GraphLossEqualsEagerLossFp32) {
  SKIP_WITHOUT_GPU();
#if defined(FASTIMG_HAS_CUDA)
  // Steps 0-1 warm up eagerly, 2 captures and replays, 3-5 replay: all six must track eager.
  auto data = batches(6, 32);
  expect_close(graph_losses(data, torch::kFloat32, true), eager_losses(data, torch::kFloat32), 1e-4);
#endif
}

TEST(CudaGraphStep, GraphLossEqualsEagerLossBf16AndEagerOptimizer) {
  SKIP_WITHOUT_GPU();
#if defined(FASTIMG_HAS_CUDA)
  auto data = batches(6, 32);
  const auto eager = eager_losses(data, torch::kBFloat16);
  expect_close(graph_losses(data, torch::kBFloat16, true), eager, 2e-2);
  expect_close(graph_losses(data, torch::kBFloat16, false), eager, 2e-2);
#endif
}

TEST(CudaGraphStep, OneGraphPerResolution) {
  SKIP_WITHOUT_GPU();
#if defined(FASTIMG_HAS_CUDA)
  auto data = batches(4, 32);
  auto more = batches(4, 40);
  data.insert(data.end(), more.begin(), more.end());
  int64_t graphs = 0;
  expect_close(graph_losses(data, torch::kFloat32, true, &graphs), eager_losses(data, torch::kFloat32), 1e-4);
  EXPECT_EQ(graphs, 2);
#endif
}

}  // namespace
}  // namespace fastimg::train
