// The SGD step (momentum 0.9, weight decay 5e-5) on ResNet-50's parameter list (161 tensors,
// 25,557,032 parameters), fastimg::optim::Sgd against LibTorch's torch::optim::SGD.
// Prints: what, baseline, ours, ratio (baseline time / our time; > 1 means we are faster), and the
// update cost of every other optimizer relative to our SGD (the closure's forward/backward, which
// SAM runs twice, is not part of these numbers).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdio>
#include <map>
#include <string>

#include "optim/optimizer.h"
#include "optim/sgd.h"

namespace {

// ResNet-50's parameter shapes, in torchvision's order.
std::vector<std::vector<int64_t>> resnet50_shapes() {
  std::vector<std::vector<int64_t>> shapes;
  auto conv = [&](int64_t out, int64_t in, int64_t k) { shapes.push_back({out, in, k, k}); };
  auto bn = [&](int64_t c) {
    shapes.push_back({c});
    shapes.push_back({c});
  };
  conv(64, 3, 7);
  bn(64);
  int64_t in = 64;
  const int64_t blocks[] = {3, 4, 6, 3}, widths[] = {64, 128, 256, 512};
  for (int layer = 0; layer < 4; ++layer) {
    const int64_t w = widths[layer];
    for (int64_t b = 0; b < blocks[layer]; ++b) {
      conv(w, in, 1);
      bn(w);
      conv(w, w, 3);
      bn(w);
      conv(4 * w, w, 1);
      bn(4 * w);
      if (b == 0) {
        conv(4 * w, in, 1);
        bn(4 * w);
      }
      in = 4 * w;
    }
  }
  shapes.push_back({1000, 2048});
  shapes.push_back({1000});
  return shapes;
}

std::vector<torch::Tensor> make_params() {
  torch::manual_seed(0);
  std::vector<torch::Tensor> params;
  for (const auto& shape : resnet50_shapes()) {
    torch::Tensor p = torch::randn(shape) * 0.01;
    p.mutable_grad() = torch::randn(shape) * 1e-3;
    params.push_back(p);
  }
  return params;
}

constexpr double kLr = 0.1, kMomentum = 0.9, kWeightDecay = 5e-5;

void BM_TorchSgd(benchmark::State& state) {
  std::vector<torch::Tensor> params = make_params();
  torch::optim::SGD opt(params, torch::optim::SGDOptions(kLr).momentum(kMomentum).weight_decay(kWeightDecay));
  opt.step();  // allocate the momentum buffers outside the timed loop
  for (auto _ : state) opt.step();
  state.counters["params"] = 0;
  for (const auto& p : params) state.counters["params"] += static_cast<double>(p.numel());
  state.counters["tensors"] = static_cast<double>(params.size());
}

void BM_FastimgSgd(benchmark::State& state) {
  std::vector<torch::Tensor> params = make_params();
  fastimg::optim::Sgd opt({fastimg::optim::ParamGroup{params, kWeightDecay}}, kLr, kMomentum, false);
  opt.apply_gradients();
  for (auto _ : state) opt.apply_gradients();
}

void BM_Update(benchmark::State& state, const std::string& name) {
  std::vector<torch::Tensor> params = make_params();
  fastimg::optim::OptimizerOptions options;
  options.name = name;
  options.lr = kLr;
  auto opt = fastimg::optim::make_optimizer(options, {fastimg::optim::ParamGroup{params, kWeightDecay}});
  opt->train();
  opt->apply_gradients();
  for (auto _ : state) opt->apply_gradients();
}

BENCHMARK_CAPTURE(BM_Update, adam, std::string("adam"))->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();
BENCHMARK_CAPTURE(BM_Update, adamw, std::string("adamw"))->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();
BENCHMARK_CAPTURE(BM_Update, sgd_schedule_free, std::string("sgd_schedule_free"))
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Update, adamw_schedule_free, std::string("adamw_schedule_free"))
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)
    ->UseRealTime();
BENCHMARK(BM_TorchSgd)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_FastimgSgd)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

// Keeps the console output and remembers each benchmark's real time per iteration.
class TableReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration) times[run.benchmark_name()] = run.GetAdjustedRealTime();
    }
  }
  std::map<std::string, double> times;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  TableReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const auto find = [&](const std::string& prefix) {
    for (const auto& [name, t] : reporter.times) {
      if (name == prefix || name.rfind(prefix + "/", 0) == 0) return t;
    }
    return 0.0;
  };
  const double baseline = find("BM_TorchSgd"), ours = find("BM_FastimgSgd");
  if (baseline > 0 && ours > 0) {
    std::printf("\n%-52s %14s %14s %8s\n", "what", "baseline", "ours", "ratio");
    std::printf("%-52s %11.2f ms %11.2f ms %7.2fx\n", "SGD step, ResNet-50 params (torch::optim::SGD)", baseline,
                ours, baseline / ours);
    for (const std::string name : {"adam", "adamw", "sgd_schedule_free", "adamw_schedule_free"}) {
      const double t = find("BM_Update/" + name);
      if (t > 0) {
        std::printf("%-52s %11.2f ms %11.2f ms %7.2fx\n", ("update cost, " + name + " vs our SGD").c_str(), ours, t,
                    ours / t);
      }
    }
  }
  benchmark::Shutdown();
  return 0;
}
