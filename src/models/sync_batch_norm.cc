#include "models/sync_batch_norm.h"

#include <c10/core/impl/LocalDispatchKeySet.h>

#include <utility>

#include "util/error.h"

namespace fastimg::models {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

BatchNormAllReduce& hook() {
  static BatchNormAllReduce sum_in_place;
  return sum_in_place;
}

// Statistics are computed in float/double whatever autocast would pick.
using NoAutocast = c10::impl::ExcludeDispatchKeyGuard;

torch::Tensor per_channel(const torch::Tensor& t) { return t.view({1, -1, 1, 1}); }

// The elementwise part of BatchNorm with given (global) statistics; backward all-reduces the two
// per-channel sums that make grad_input depend on every rank's batch.
class SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
 public:
  // mean, invstd: float [C]; count: double scalar, the number of values per channel on all ranks.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, const torch::Tensor& mean, const torch::Tensor& invstd,
                               const torch::Tensor& count) {
    NoAutocast no_autocast(c10::autocast_dispatch_keyset);
    auto scale = invstd * weight.to(torch::kFloat);
    auto shift = bias.to(torch::kFloat) - mean * scale;
    auto y = x.to(torch::kFloat) * per_channel(scale) + per_channel(shift);
    ctx->save_for_backward({x, weight, mean, invstd, count});
    return y.to(x.scalar_type()).contiguous(x.suggest_memory_format());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    NoAutocast no_autocast(c10::autocast_dispatch_keyset);
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &weight = saved[1], &mean = saved[2], &invstd = saved[3], &count = saved[4];
    const std::vector<int64_t> reduce_dims = {0, 2, 3};
    auto dy = grad_outputs[0].to(torch::kFloat);
    auto xmu = x.to(torch::kFloat) - per_channel(mean);
    auto sum_dy = dy.sum(reduce_dims);
    auto sum_dy_xmu = (dy * xmu).sum(reduce_dims);
    torch::Tensor grad_input, grad_weight, grad_bias;
    // This rank's share: the gradient reducer averages weight and bias gradients across ranks.
    if (ctx->needs_input_grad(1)) grad_weight = (sum_dy_xmu * invstd).to(weight.scalar_type());
    if (ctx->needs_input_grad(2)) grad_bias = sum_dy.to(weight.scalar_type());
    if (ctx->needs_input_grad(0)) {
      auto& sum_in_place = hook();
      if (!sum_in_place) fail("SyncBatchNorm backward: the all-reduce hook was removed after the forward pass");
      const int64_t channels = mean.size(0);
      auto sums = torch::cat({sum_dy, sum_dy_xmu});
      sum_in_place(sums);
      const auto global_count = count.to(torch::kFloat);
      auto mean_dy = sums.slice(0, 0, channels) / global_count;
      auto mean_dy_xmu = sums.slice(0, channels, 2 * channels) / global_count;
      auto scale = invstd * weight.to(torch::kFloat);
      grad_input = (dy - per_channel(mean_dy) - xmu * per_channel(invstd * invstd * mean_dy_xmu)) * per_channel(scale);
      grad_input = grad_input.to(x.scalar_type()).contiguous(x.suggest_memory_format());
    }
    return {grad_input, grad_weight, grad_bias, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

torch::Tensor synchronised_batch_norm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x) {
  if (x.dim() != 4) fail("BatchNorm2d expects a 4-D input, got {} dimensions", x.dim());
  NoAutocast no_autocast(c10::autocast_dispatch_keyset);
  const int64_t channels = x.size(1);
  const double local_count = channels > 0 ? static_cast<double>(x.numel() / channels) : 0.0;
  torch::Tensor mean, invstd, global_count;
  {
    torch::NoGradGuard no_grad;
    // Per channel: count·mean and count·(biased var + mean²) = sum of squares, in double so that
    // combining ranks loses nothing; the local moments come from a stable float var_mean.
    torch::Tensor local_sum, local_sum_sq;
    if (local_count > 0) {
      auto [var, m] = torch::var_mean(x.detach().to(torch::kFloat), {0, 2, 3}, /*unbiased=*/false);
      auto m64 = m.to(torch::kDouble);
      local_sum = m64 * local_count;
      local_sum_sq = (var.to(torch::kDouble) + m64 * m64) * local_count;
    } else {
      local_sum = torch::zeros({channels}, x.options().dtype(torch::kDouble));
      local_sum_sq = torch::zeros({channels}, x.options().dtype(torch::kDouble));
    }
    auto stats = torch::cat({local_sum, local_sum_sq, torch::full({1}, local_count, local_sum.options())});
    hook()(stats);
    global_count = stats[2 * channels];
    auto mean64 = stats.slice(0, 0, channels) / global_count;
    auto var64 = (stats.slice(0, channels, 2 * channels) / global_count - mean64 * mean64).clamp_min(0);
    mean = mean64.to(torch::kFloat);
    invstd = (var64 + bn.options.eps()).rsqrt().to(torch::kFloat);

    // Running statistics exactly as BatchNorm2d's forward (momentum, or a cumulative average).
    if (bn.options.track_running_stats() && bn.running_mean.defined()) {
      double factor = bn.options.momentum().value_or(0.0);
      if (bn.num_batches_tracked.defined()) {
        bn.num_batches_tracked += 1;
        if (!bn.options.momentum()) factor = 1.0 / bn.num_batches_tracked.item<double>();
      }
      auto unbiased = var64 * (global_count / (global_count - 1));
      bn.running_mean.mul_(1 - factor).add_(mean64.to(bn.running_mean.scalar_type()), factor);
      bn.running_var.mul_(1 - factor).add_(unbiased.to(bn.running_var.scalar_type()), factor);
    }
  }
  // Without affine parameters: gamma 1, beta 0 that need no gradient.
  auto weight = bn.weight.defined() ? bn.weight : torch::ones({channels}, mean.options());
  auto bias = bn.bias.defined() ? bn.bias : torch::zeros({channels}, mean.options());
  return SyncBatchNormFunction::apply(x, weight, bias, mean, invstd, global_count);
}

}  // namespace

void set_batch_norm_all_reduce(BatchNormAllReduce sum_in_place) { hook() = std::move(sum_in_place); }

bool batch_norm_is_synchronised() { return static_cast<bool>(hook()); }

ScopedBatchNormAllReduce::ScopedBatchNormAllReduce(BatchNormAllReduce sum_in_place) : previous_(hook()) {
  hook() = std::move(sum_in_place);
}

ScopedBatchNormAllReduce::~ScopedBatchNormAllReduce() { hook() = std::move(previous_); }

torch::Tensor batch_norm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x) {
  if (!bn.is_training() || !hook()) return bn.forward(x);
  return synchronised_batch_norm(bn, x);
}

torch::Tensor forward_sequential(torch::nn::SequentialImpl& sequential, torch::Tensor x) {
  for (auto& module : sequential) {
    if (auto* bn = module.ptr()->as<torch::nn::BatchNorm2dImpl>())
      x = batch_norm(*bn, x);
    else
      x = module.forward(x);
  }
  return x;
}

}  // namespace fastimg::models
