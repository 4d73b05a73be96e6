#include "dist/gradient_reducer.h"

#include <numeric>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>

#include "util/error.h"

namespace fastimg::dist {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::vector<torch::Tensor> trainable(const torch::nn::Module& module) {
  std::vector<torch::Tensor> out;
  for (const auto& p : module.parameters(/*recurse=*/true))
    if (p.requires_grad()) out.push_back(p);
  return out;
}

// DDP's default bucket all-reduce (mean over ranks), whose failure says what failed: otherwise a
// peer dying mid-backward surfaces from loss.backward() as a bare Gloo socket error.
class ExplainedAllReduce : public ::c10d::CommHookInterface {
 public:
  explicit ExplainedAllReduce(ProcessGroup& group) : group_(group) {}

  c10::intrusive_ptr<c10::ivalue::Future> runHook(::c10d::GradBucket& bucket) override {
    ProcessGroup* group = &group_;
    auto explain = [group](const std::string& error) {
      return Error(group->collective_failure("gradient all_reduce", error));
    };
    c10::intrusive_ptr<c10::ivalue::Future> reduced;
    try {
      std::vector<at::Tensor> tensors = {bucket.getBufferRef()};
      tensors[0].div_(group_.world_size());  // divide first, as DDP does: no fp16 overflow in the sum
      reduced = group_.c10d_group()->allreduce(tensors)->getFuture();
    } catch (const std::exception& e) {
      throw explain(e.what());
    }
    // The error is raised where the Reducer collects the result, at the end of backward.
    return reduced->then(
        [explain](c10::ivalue::Future& done) -> c10::IValue {
          if (done.hasError()) throw explain(done.tryRetrieveErrorMessage());
          return done.value();
        },
        reduced->elementType());
  }

  at::Tensor parseHookResult(const c10::IValue& result) override {
    return ::c10d::detail::parseCppCommHookResult(result);
  }

 private:
  ProcessGroup& group_;
};

// Buffers are broadcast in bulk: one flat copy per 25 MB instead of one message per tensor.
constexpr size_t kBroadcastBufferBytes = 25 << 20;

}  // namespace

GradientReducer::GradientReducer(std::vector<torch::Tensor> parameters, ProcessGroup& group,
                                 GradientReducerOptions options)
    : group_(group), parameters_(std::move(parameters)) {
  if (parameters_.empty()) fail("GradientReducer: the model has no trainable parameters");
  if (options.bucket_bytes <= 0 || options.first_bucket_bytes <= 0)
    fail("GradientReducer: bucket sizes must be positive (got {} and {} bytes)", options.bucket_bytes,
         options.first_bucket_bytes);
  try {
    // A rank that built a different model would otherwise hang or mix unrelated gradients.
    ::c10d::verify_params_across_processes(group_.c10d_group(), parameters_, std::nullopt);
    // Buckets are filled in parameter order and then reversed: backward produces the last layers'
    // gradients first, so bucket 0 (reduced first) holds them. After the first step the Reducer
    // rebuilds buckets in the order gradients actually arrived.
    auto [buckets, limits] = ::c10d::compute_bucket_assignment_by_size(
        parameters_, {static_cast<size_t>(options.first_bucket_bytes), static_cast<size_t>(options.bucket_bytes)});
    std::reverse(buckets.begin(), buckets.end());
    num_buckets_ = buckets.size();
    std::unordered_map<size_t, std::string> names;
    reducer_ = std::make_unique<::c10d::Reducer>(
        parameters_, std::move(buckets), group_.c10d_group(), std::vector<bool>(parameters_.size(), false),
        options.bucket_bytes, /*find_unused_parameters=*/false, /*gradient_as_bucket_view=*/false, std::move(names),
        options.first_bucket_bytes, /*skip_all_reduce_unused_params=*/false,
        /*use_python_reducer=*/false, /*bucket_bytes_cap_list=*/std::vector<int64_t>{});
    reducer_->register_comm_hook(std::make_unique<ExplainedAllReduce>(group_));
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail("rank {} of {}: setting up gradient synchronisation failed: {}", group_.rank(), group_.world_size(),
         first_line(e.what()));
  }
}

GradientReducer::GradientReducer(const torch::nn::Module& module, ProcessGroup& group, GradientReducerOptions options)
    : GradientReducer(trainable(module), group, options) {}

GradientReducer::~GradientReducer() = default;

void GradientReducer::prepare_for_backward(const torch::Tensor& loss) {
  try {
    // Once, after the first synchronised step: re-bucket by observed gradient order (ranks agree
    // via a broadcast inside). Later calls return at once; skipping it would let the Reducer's
    // record of that order grow every step.
    reducer_->rebuild_buckets();
    reducer_->prepare_for_backward({loss});
  } catch (const std::exception& e) {
    fail("rank {} of {}: gradient synchronisation failed: {}", group_.rank(), group_.world_size(),
         first_line(e.what()));
  }
}

void broadcast_parameters(const torch::nn::Module& module, ProcessGroup& group, int root) {
  if (group.world_size() == 1) return;
  std::vector<at::Tensor> tensors;
  for (const auto& p : module.parameters(true)) tensors.push_back(p.detach());
  for (const auto& b : module.buffers(true)) tensors.push_back(b.detach());
  if (tensors.empty()) return;
  torch::NoGradGuard no_grad;
  try {
    ::c10d::broadcast_coalesced(group.c10d_group(), tensors, kBroadcastBufferBytes, root);
  } catch (const std::exception& e) {
    fail("rank {} of {}: broadcasting the initial weights from rank {} failed: {}", group.rank(), group.world_size(),
         root, first_line(e.what()));
  }
}

void average_buffers(const torch::nn::Module& module, ProcessGroup& group) {
  if (group.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  // Flattened per dtype: one all-reduce per dtype rather than per buffer.
  std::map<c10::ScalarType, std::vector<torch::Tensor>> by_dtype;
  for (const auto& b : module.buffers(true))
    if (b.is_floating_point()) by_dtype[b.scalar_type()].push_back(b);
  for (auto& [dtype, buffers] : by_dtype) {
    std::vector<torch::Tensor> flat_parts;
    for (auto& b : buffers) flat_parts.push_back(b.reshape(-1));
    auto flat = torch::cat(flat_parts);
    group.all_reduce_(flat, ReduceOp::kAvg);
    int64_t offset = 0;
    for (auto& b : buffers) {
      b.copy_(flat.slice(0, offset, offset + b.numel()).view_as(b));
      offset += b.numel();
    }
  }
}

}  // namespace fastimg::dist
