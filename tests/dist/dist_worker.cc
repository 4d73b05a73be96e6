// One rank of the multi-process tests, started by launch_local or torchrun. Modes:
//   collectives        all_reduce / broadcast / barrier / metric helpers / buffer averaging
//   train STEPS BYTES [twice]
//                      data-parallel SGD with GradientReducer (bucket cap BYTES) against, on rank 0,
//                      one process training on the combined batch; prints the largest differences.
//                      `twice`: two synchronised backward passes per step (as SAM does).
//   train-opt NAME STEPS [unsynced PASS]
//                      the same check with our optimizers (optim/, make_optimizer NAME: sgd, adamw,
//                      sgd_schedule_free, sam, ...) stepping through their closure; every rank compares
//                      with the single process (rtol 1e-5), schedule-free in train (y) and eval (x)
//                      mode. `unsynced PASS`: closure call PASS of each step skips the reduction (a
//                      negative control: the comparison must then fail).
//   train-syncbn STEPS [nosync] [channels_last]
//                      a small conv net with BatchNorm (through models::batch_norm) and SyncBatchNorm
//                      (the process group's sum all-reduce as the hook) with GradientReducer and SGD:
//                      every rank's weights and BN running statistics must equal (rtol 1e-5) one
//                      process training on the union of the ranks' batches with plain BN. `nosync`:
//                      no hook (a negative control: the comparison must then fail).
//   die                rank 1 exits after the first all-reduce; rank 0 must fail with an error
//   die-in-backward    rank 1 exits between synchronised backward passes; rank 0's backward must
//                      fail with an error naming the gradient all-reduce
//   raise              rank 1 throws after the first all-reduce, publishes why and exits; rank 0's
//                      error must carry rank 1's message
// Exit code 0 = checks passed. Failures print one line "error: ..." (fastimg::Error) or "FAIL ...".
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dist/env.h"
#include "dist/gradient_reducer.h"
#include "dist/process_group.h"
#include "models/sync_batch_norm.h"
#include "optim/optimizer.h"
#include "util/error.h"

namespace dist = fastimg::dist;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::printf("FAIL %s\n", what.c_str());
    ++failures;
  }
}

dist::ProcessGroupOptions short_timeouts() {
  dist::ProcessGroupOptions o;
  o.connect_timeout = std::chrono::seconds(30);
  o.timeout = std::chrono::seconds(20);
  return o;
}

void collectives(dist::ProcessGroup& pg) {
  const int r = pg.rank(), n = pg.world_size();
  const double expected_sum = n * (n - 1) / 2.0;  // sum of ranks

  auto t = torch::full({5}, static_cast<float>(r));
  pg.all_reduce_(t, dist::ReduceOp::kSum);
  check(torch::allclose(t, torch::full({5}, static_cast<float>(expected_sum))), "all_reduce sum");

  std::vector<torch::Tensor> two = {torch::full({3}, static_cast<double>(r), torch::kFloat64),
                                    torch::full({2, 2}, 1.0f)};
  pg.all_reduce_(two, dist::ReduceOp::kAvg);
  check(torch::allclose(two[0], torch::full({3}, expected_sum / n, torch::kFloat64)), "all_reduce avg (list)");
  check(torch::allclose(two[1], torch::ones({2, 2})), "all_reduce avg of ones");

  auto b = torch::arange(4, torch::kFloat32) + 10 * r;
  pg.broadcast_(b, /*root=*/n - 1);
  check(torch::equal(b, torch::arange(4, torch::kFloat32) + 10 * (n - 1)), "broadcast from the last rank");

  pg.barrier();
  check(pg.all_reduce_sum(r + 0.5) == expected_sum + 0.5 * n, "all_reduce_sum(double)");
  auto gathered = pg.all_gather(r * 2.0);
  bool gathered_ok = static_cast<int>(gathered.size()) == n;
  for (int i = 0; gathered_ok && i < n; ++i) gathered_ok = gathered[i] == 2.0 * i;
  check(gathered_ok, "all_gather in rank order");

  // BN statistics differ per rank; average_buffers makes them the mean, counts stay untouched.
  torch::nn::BatchNorm1d bn(4);
  bn->running_mean.fill_(static_cast<float>(r));
  bn->num_batches_tracked.fill_(7);
  dist::average_buffers(*bn, pg);
  check(torch::allclose(bn->running_mean, torch::full({4}, static_cast<float>(expected_sum / n))),
        "average_buffers averages running_mean");
  check(bn->num_batches_tracked.item<int64_t>() == 7, "average_buffers leaves num_batches_tracked");

  // Rank 0's parameters and buffers win.
  torch::nn::Linear lin(3, 2);
  torch::nn::BatchNorm1d bn2(2);
  {
    torch::NoGradGuard g;
    lin->weight.fill_(static_cast<float>(r + 1));
    bn2->running_var.fill_(static_cast<float>(r + 3));
  }
  dist::broadcast_parameters(*lin, pg);
  dist::broadcast_parameters(*bn2, pg);
  check(torch::equal(lin->weight, torch::ones({2, 3})), "broadcast_parameters: weights from rank 0");
  check(torch::equal(bn2->running_var, torch::full({2}, 3.0f)), "broadcast_parameters: buffers from rank 0");
}

torch::nn::Sequential make_mlp() {
  return torch::nn::Sequential(torch::nn::Linear(10, 32), torch::nn::Tanh(), torch::nn::Linear(32, 32),
                               torch::nn::Tanh(), torch::nn::Linear(32, 3));
}

double max_abs_diff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
  return worst;
}

void train(dist::ProcessGroup& pg, int steps, int64_t bucket_bytes, bool twice) {
  const int r = pg.rank(), n = pg.world_size();
  const int64_t per_rank = 8, batch = per_rank * n;
  torch::manual_seed(0);
  auto model = make_mlp();
  torch::manual_seed(0);
  auto reference = make_mlp();  // same init: the single process on the combined batch
  if (r != 0) {
    // A different start on other ranks: broadcast_parameters must repair it.
    torch::NoGradGuard g;
    for (auto& p : model->parameters()) p.add_(1.0);
  }
  dist::broadcast_parameters(*model, pg);

  dist::GradientReducerOptions ropts;
  ropts.bucket_bytes = bucket_bytes;
  ropts.first_bucket_bytes = std::min<int64_t>(bucket_bytes, 1 << 20);
  dist::GradientReducer reducer(*model, pg, ropts);
  if (r == 0) std::printf("buckets=%zu params=%zu\n", reducer.num_buckets(), reducer.num_parameters());

  auto sgd = torch::optim::SGDOptions(0.1).momentum(0.9).weight_decay(1e-4);
  torch::optim::SGD opt(model->parameters(), sgd);
  torch::optim::SGD ref_opt(reference->parameters(), sgd);
  for (int step = 0; step < steps; ++step) {
    torch::manual_seed(1000 + step);  // every rank draws the same combined batch
    auto x = torch::randn({batch, 10});
    auto y = torch::randint(0, 3, {batch});
    auto mine = torch::indexing::Slice(r * per_rank, (r + 1) * per_rank);

    // With `twice`, the step uses the second pass's gradients (at scaled inputs): what matters is
    // that both passes reduce and the Reducer is ready again for the next one.
    for (int pass = 0; pass < (twice ? 2 : 1); ++pass) {
      const double scale = pass == 0 ? 1.0 : 0.5;
      opt.zero_grad();
      auto loss = torch::nn::functional::cross_entropy(model->forward(x.index({mine}) * scale), y.index({mine}));
      reducer.prepare_for_backward(loss);
      loss.backward();
      if (r == 0) {
        ref_opt.zero_grad();
        torch::nn::functional::cross_entropy(reference->forward(x * scale), y).backward();
      }
    }
    opt.step();
    if (r == 0) ref_opt.step();
  }
  // Every rank must hold the same weights: compare with rank 0's.
  std::vector<torch::Tensor> mine, from_zero;
  for (auto& p : model->parameters()) {
    mine.push_back(p.detach().clone());
    from_zero.push_back(p.detach().clone());
  }
  for (auto& t : from_zero) pg.broadcast_(t, 0);
  const double across = max_abs_diff(mine, from_zero);
  check(across == 0.0, fmt::format("rank {} weights differ from rank 0's by {}", r, across));
  if (r == 0) {
    std::vector<torch::Tensor> ref;
    for (auto& p : reference->parameters()) ref.push_back(p.detach());
    const double vs_single = max_abs_diff(mine, ref);
    double moved = 0;
    torch::manual_seed(0);
    auto init = make_mlp();
    std::vector<torch::Tensor> init_params;
    for (auto& p : init->parameters()) init_params.push_back(p.detach());
    moved = max_abs_diff(mine, init_params);
    std::printf("max_diff_vs_single_process=%.3g max_diff_across_ranks=%.3g weights_moved=%.3g\n", vs_single, across,
                moved);
    check(vs_single <= 1e-6, fmt::format("weights differ from the single process by {}", vs_single));
    check(moved > 1e-3, "training did not change the weights");
  }

  // A backward without prepare_for_backward keeps this rank's own gradients (no_sync).
  opt.zero_grad();
  auto x = torch::randn({per_rank, 10}) * (r + 1);
  torch::nn::functional::cross_entropy(model->forward(x), torch::zeros({per_rank}, torch::kLong)).backward();
  auto grad = model->parameters()[0].grad().clone();
  auto grad_zero = grad.clone();
  pg.broadcast_(grad_zero, 0);
  if (r != 0) check(!torch::equal(grad, grad_zero), "a backward without prepare_for_backward was synchronised");
}

// Options per optimizer name: small lrs that move an MLP visibly in a few steps, and warm-up for
// schedule-free so that its lr_max / weight bookkeeping is exercised too.
fastimg::optim::OptimizerOptions optimizer_options(const std::string& name) {
  fastimg::optim::OptimizerOptions o;
  o.name = name;
  o.lr = 0.05;
  o.momentum = 0.9;
  o.weight_decay = 5e-4;
  if (name == "adam" || name == "adamw" || name == "adamw_schedule_free") o.lr = 1e-2;
  if (name == "sgd_schedule_free" || name == "adamw_schedule_free") o.warmup_steps = 2;
  o.rho = 0.05;
  return o;
}

std::vector<torch::Tensor> snapshot(torch::nn::Module& module) {
  std::vector<torch::Tensor> out;
  for (auto& p : module.parameters()) out.push_back(p.detach().clone());
  return out;
}

// Largest |a-b| beyond the allclose bound rtol·|b| + atol (0 = within tolerance), and max |a-b|.
std::pair<double, double> beyond_tolerance(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b,
                                           double rtol, double atol) {
  double excess = 0, worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    auto diff = (a[i] - b[i]).abs();
    excess = std::max(excess, (diff - rtol * b[i].abs() - atol).clamp_min(0).max().item<double>());
    worst = std::max(worst, diff.max().item<double>());
  }
  return {excess, worst};
}

// Our optimizers over GradientReducer-averaged gradients. Each rank's loss is the mean over its
// half of the batch, so the averaged gradient is the gradient of the mean over the union: the
// single process (computed on every rank, the MLP is tiny) steps the same optimizer on that union.
// SAM v1 calls the closure twice per step; both passes must be reduced (the perturbation uses the
// global gradient norm, the base step the global second-pass gradient).
void train_optimizer(dist::ProcessGroup& pg, const std::string& name, int steps, int unsynced_pass) {
  namespace F = torch::nn::functional;
  const int r = pg.rank(), n = pg.world_size();
  const int64_t per_rank = 8, batch = per_rank * n;
  torch::manual_seed(0);
  auto model = make_mlp();
  torch::manual_seed(0);
  auto reference = make_mlp();
  const auto initial = snapshot(*reference);
  dist::broadcast_parameters(*model, pg);
  dist::GradientReducerOptions ropts;
  ropts.bucket_bytes = 1024;  // several buckets, reduced while backward runs
  ropts.first_bucket_bytes = 256;
  dist::GradientReducer reducer(*model, pg, ropts);

  const auto options = optimizer_options(name);
  auto opt = fastimg::optim::make_optimizer(options, *model);
  auto ref_opt = fastimg::optim::make_optimizer(options, *reference);
  opt->train();  // schedule-free: parameters hold y while training
  ref_opt->train();
  const int expected_passes = name == "sam" ? 2 : 1;
  for (int step = 0; step < steps; ++step) {
    torch::manual_seed(1000 + step);  // every rank draws the same combined batch
    auto x = torch::randn({batch, 10});
    auto y = torch::randint(0, 3, {batch});
    auto mine = torch::indexing::Slice(r * per_rank, (r + 1) * per_rank);
    auto x_mine = x.index({mine}), y_mine = y.index({mine});
    int pass = 0;
    opt->step([&] {
      model->zero_grad();
      auto loss = F::cross_entropy(model->forward(x_mine), y_mine);
      if (pass++ != unsynced_pass) reducer.prepare_for_backward(loss);
      loss.backward();
      return loss.detach();
    });
    check(pass == expected_passes, fmt::format("{}: {} closure calls in step {}, expected {}", name, pass, step,
                                               expected_passes));
    ref_opt->step([&] {
      reference->zero_grad();
      auto loss = F::cross_entropy(reference->forward(x), y);  // mean over the union
      loss.backward();
      return loss.detach();
    });
  }

  // Every rank: bit-identical to rank 0, and within rtol 1e-5 of the single process.
  auto compare = [&](const char* which) {
    auto mine = snapshot(*model), from_zero = snapshot(*model);
    for (auto& t : from_zero) pg.broadcast_(t, 0);
    const double across = max_abs_diff(mine, from_zero);
    const auto [excess, vs_single] = beyond_tolerance(mine, snapshot(*reference), 1e-5, 1e-7);
    const double moved = max_abs_diff(mine, initial);
    std::printf("%s %s rank %d: max_diff_vs_single_process=%.3g max_diff_across_ranks=%.3g weights_moved=%.3g\n",
                name.c_str(), which, r, vs_single, across, moved);
    check(across == 0.0, fmt::format("{} {}: rank {} weights differ from rank 0's by {}", name, which, r, across));
    check(excess == 0.0, fmt::format("{} {}: weights differ from the single process by {} (beyond rtol 1e-5 by {})",
                                     name, which, vs_single, excess));
    check(moved > 1e-3, fmt::format("{} {}: training did not change the weights", name, which));
  };
  compare("train");
  if (name.find("schedule_free") != std::string::npos) {
    // Evaluation swaps y for the average x; swapping back must restore y.
    opt->eval();
    ref_opt->eval();
    compare("eval");
    opt->train();
    ref_opt->train();
    compare("train-again");
  }
}

// Two conv + BatchNorm layers (BN through models::batch_norm, so SyncBatchNorm when a hook is set).
class BnNetImpl : public torch::nn::Module {
 public:
  BnNetImpl()
      : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3).padding(1).bias(false)))),
        bn1(register_module("bn1", torch::nn::BatchNorm2d(8))),
        conv2(register_module(
            "conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 8, 3).stride(2).padding(1).bias(false)))),
        bn2(register_module("bn2", torch::nn::BatchNorm2d(8))),
        fc(register_module("fc", torch::nn::Linear(8, 3))) {}
  torch::Tensor forward(torch::Tensor x) {
    namespace models = fastimg::models;
    x = torch::relu(models::batch_norm(*bn1, conv1(x)));
    x = torch::relu(models::batch_norm(*bn2, conv2(x)));
    return fc(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
  }
  torch::nn::Conv2d conv1;
  torch::nn::BatchNorm2d bn1;
  torch::nn::Conv2d conv2;
  torch::nn::BatchNorm2d bn2;
  torch::nn::Linear fc;
};
TORCH_MODULE(BnNet);

std::vector<torch::Tensor> float_buffers(torch::nn::Module& module) {
  std::vector<torch::Tensor> out;
  for (auto& b : module.buffers())
    if (b.is_floating_point()) out.push_back(b.detach().clone());
  return out;
}

// SyncBatchNorm + GradientReducer on per_rank samples each equals one process with plain BN on
// the union: the global statistics in forward, the all-reduced sums in backward, local BN weight
// gradients averaged by the reducer. The ranks' halves come from different distributions, so BN
// on local statistics alone (nosync) visibly differs.
void train_sync_bn(dist::ProcessGroup& pg, int steps, bool sync, bool channels_last) {
  namespace F = torch::nn::functional;
  namespace models = fastimg::models;
  const int r = pg.rank(), n = pg.world_size();
  const int64_t per_rank = 4, batch = per_rank * n;
  torch::manual_seed(0);
  BnNet model;
  torch::manual_seed(0);
  BnNet reference;
  const auto initial = snapshot(*reference);
  dist::broadcast_parameters(*model, pg);
  dist::GradientReducerOptions ropts;
  ropts.bucket_bytes = 512;  // several buckets, their all-reduces interleaved with the BN ones
  ropts.first_bucket_bytes = 128;
  dist::GradientReducer reducer(*model, pg, ropts);
  std::optional<models::ScopedBatchNormAllReduce> sync_bn;
  if (sync) sync_bn.emplace([&pg](torch::Tensor& t) { pg.all_reduce_(t, dist::ReduceOp::kSum); });

  auto sgd = torch::optim::SGDOptions(0.1).momentum(0.9).weight_decay(1e-4);
  torch::optim::SGD opt(model->parameters(), sgd);
  torch::optim::SGD ref_opt(reference->parameters(), sgd);
  for (int step = 0; step < steps; ++step) {
    torch::manual_seed(1000 + step);  // every rank draws the same combined batch
    auto x = torch::randn({batch, 3, 8, 8});
    for (int k = 0; k < n; ++k) x.slice(0, k * per_rank, (k + 1) * per_rank).mul_(1 + k).add_(k);
    auto y = torch::randint(0, 3, {batch});
    auto mine = torch::indexing::Slice(r * per_rank, (r + 1) * per_rank);
    auto x_mine = x.index({mine}).clone();
    if (channels_last) x_mine = x_mine.contiguous(torch::MemoryFormat::ChannelsLast);
    opt.zero_grad();
    auto loss = F::cross_entropy(model->forward(x_mine), y.index({mine}));
    reducer.prepare_for_backward(loss);
    loss.backward();
    opt.step();
    {
      models::ScopedBatchNormAllReduce local(nullptr);  // the single process: plain BatchNorm2d
      ref_opt.zero_grad();
      F::cross_entropy(reference->forward(x), y).backward();
      ref_opt.step();
    }
  }

  auto weights = snapshot(*model), stats = float_buffers(*model);
  auto weights0 = snapshot(*model), stats0 = float_buffers(*model);  // clones, overwritten by rank 0's
  for (auto& t : weights0) pg.broadcast_(t, 0);
  for (auto& t : stats0) pg.broadcast_(t, 0);
  const double weights_across = max_abs_diff(weights, weights0), stats_across = max_abs_diff(stats, stats0);
  const auto [weights_excess, weights_vs_single] = beyond_tolerance(weights, snapshot(*reference), 1e-5, 1e-7);
  const auto [stats_excess, stats_vs_single] = beyond_tolerance(stats, float_buffers(*reference), 1e-5, 1e-7);
  const double moved = max_abs_diff(weights, initial);
  std::printf("syncbn rank %d: weights max_diff_vs_single_process=%.3g running_stats max_diff_vs_single_process=%.3g "
              "max_diff_across_ranks weights=%.3g running_stats=%.3g weights_moved=%.3g\n",
              r, weights_vs_single, stats_vs_single, weights_across, stats_across, moved);
  check(weights_across == 0.0, fmt::format("syncbn: rank {} weights differ from rank 0's by {}", r, weights_across));
  if (sync)
    check(stats_across == 0.0, fmt::format("syncbn: rank {} BN statistics differ from rank 0's by {}", r, stats_across));
  check(weights_excess == 0.0,
        fmt::format("syncbn: weights differ from the single process by {} (beyond rtol 1e-5 by {})", weights_vs_single,
                    weights_excess));
  check(stats_excess == 0.0,
        fmt::format("syncbn: BN running statistics differ from the single process by {} (beyond rtol 1e-5 by {})",
                    stats_vs_single, stats_excess));
  check(moved > 1e-3, "syncbn: training did not change the weights");
  check(model->bn1->num_batches_tracked.item<int64_t>() == steps, "syncbn: num_batches_tracked");
}

void die(dist::ProcessGroup& pg, bool raise) {
  auto t = torch::ones({1000});
  pg.all_reduce_(t);
  if (pg.rank() == 1 && raise) fastimg::fail("simulated failure in the data loader");
  if (pg.rank() == 1) {
    std::fflush(stdout);
    std::_Exit(3);  // a crash: no shutdown, sockets closed by the kernel
  }
  for (int i = 0; i < 1000; ++i) pg.all_reduce_(t);
  std::printf("FAIL all-reduces kept succeeding after rank 1 died\n");
  ++failures;
}

// The Reducer's all-reduce runs inside autograd: its failure must still read as ours.
void die_in_backward(dist::ProcessGroup& pg) {
  torch::manual_seed(0);
  auto model = make_mlp();
  dist::GradientReducer reducer(*model, pg);
  for (int step = 0; step < 1000; ++step) {
    // After step 2: past the Reducer's one-time bucket rebuild, so backward is what meets the gap.
    if (step == 3 && pg.rank() == 1) {
      std::fflush(stdout);
      std::_Exit(3);
    }
    model->zero_grad();
    auto loss = model->forward(torch::randn({4, 10})).square().mean();
    reducer.prepare_for_backward(loss);
    loss.backward();
  }
  std::printf("FAIL synchronised backward passes kept succeeding after rank 1 died\n");
  ++failures;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string mode = argc > 1 ? argv[1] : "";
  std::unique_ptr<dist::ProcessGroup> group;  // outlives the try: the catch publishes the failure
  try {
    torch::set_num_threads(1);
    group = std::make_unique<dist::ProcessGroup>(dist::detect_env(), short_timeouts());
    auto& pg = *group;
    if (mode == "collectives") {
      collectives(pg);
    } else if (mode == "train") {
      train(pg, argc > 2 ? std::atoi(argv[2]) : 10, argc > 3 ? std::atoll(argv[3]) : (25 << 20),
            argc > 4 && std::string(argv[4]) == "twice");
    } else if (mode == "train-opt" && argc > 3) {
      const bool unsynced = argc > 5 && std::string(argv[4]) == "unsynced";
      train_optimizer(pg, argv[2], std::atoi(argv[3]), unsynced ? std::atoi(argv[5]) : -1);
    } else if (mode == "train-syncbn" && argc > 2) {
      bool sync = true, channels_last = false;
      for (int i = 3; i < argc; ++i) {
        sync = sync && std::string(argv[i]) != "nosync";
        channels_last = channels_last || std::string(argv[i]) == "channels_last";
      }
      train_sync_bn(pg, std::atoi(argv[2]), sync, channels_last);
    } else if (mode == "die-in-backward") {
      die_in_backward(pg);
    } else if (mode == "die" || mode == "raise") {
      die(pg, mode == "raise");
    } else {
      std::printf("error: unknown mode '%s'\n", mode.c_str());
      return 2;
    }
    if (failures == 0) pg.shutdown();
  } catch (const std::exception& e) {
    std::string message = e.what();
    if (group) group->publish_failure(message);
    std::printf("error: %s\n", message.substr(0, message.find('\n')).c_str());
    return 1;
  }
  std::printf("%s rank %s done, %d failures\n", mode.c_str(), std::getenv("RANK") ? std::getenv("RANK") : "0",
              failures);
  return failures == 0 ? 0 : 1;
}
