#pragma once
// The one optimizer interface the trainer codes against, and the factory that builds any of them
// from options. Every optimizer here reproduces a reference implementation step for step:
//   sgd, adam, adamw          torch.optim.SGD / Adam / AdamW (PyTorch 2.x semantics)
//   sgd_schedule_free,        schedulefree 1.4.1 SGDScheduleFree / AdamWScheduleFree
//   adamw_schedule_free
//   sam, sam_v2               SAM (Foret et al.) two-pass, and a single-pass variant (sam.h)
//
// Usage:
//   auto opt = make_optimizer(options, model);
//   opt->train();                                  // schedule-free: parameters hold y
//   for (...) { opt->set_lr(scheduled_lr(schedule, options.lr, epoch)); opt->step(closure); }
//   opt->eval();                                   // schedule-free: parameters hold x
//
// The closure zeroes the gradients, runs forward and backward and returns the loss; SAM calls it
// twice per step, the others once. Optimizers may overwrite .grad() in place (weight decay is added
// into it), so read gradients before step() returns, not after.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "optim/optimizer_options.h"

namespace fastimg::optim {

// Parameters sharing one weight decay (param_groups.h builds them from a model).
struct ParamGroup {
  std::vector<torch::Tensor> params;
  double weight_decay = 0;
};

class Optimizer {
 public:
  Optimizer(std::vector<ParamGroup> groups, double lr);
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Runs the closure (zero grads, forward, backward, return loss) and updates the parameters;
  // returns the loss. The default runs the closure once, then apply_gradients().
  virtual torch::Tensor step(const std::function<torch::Tensor()>& closure);
  // One update from the gradients already in the parameters' .grad(); parameters without a
  // gradient are skipped (and keep their state), as torch.optim does. SAM drives its base through it.
  virtual void apply_gradients() = 0;

  // The scheduled learning rate (schedule-free: the base lr before its own warm-up).
  virtual void set_lr(double lr) { lr_ = lr; }
  double lr() const { return lr_; }

  // Schedule-free optimizers move the parameters between y (train) and x (eval); others ignore it.
  virtual void train() {}
  virtual void eval() {}

  // Full state (buffers, step counts, mode) for exact resume; the parameters themselves belong to
  // the model checkpoint. load() fails with fastimg::Error if the archive holds another optimizer.
  virtual void save(torch::serialize::OutputArchive& archive) const;
  virtual void load(torch::serialize::InputArchive& archive);

  virtual std::string name() const = 0;
  const std::vector<ParamGroup>& param_groups() const { return groups_; }

 protected:
  std::vector<ParamGroup> groups_;
  double lr_;
};

// Builds the optimizer options.name names over model.parameters(), with param groups per
// options.decay_bn_and_bias. Unknown names -> fastimg::Error.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& options, torch::nn::Module& model);
// The same over explicit groups (tests, models that build their own groups).
std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& options,
                                          std::vector<ParamGroup> groups);
// Every name make_optimizer accepts.
std::vector<std::string> optimizer_names();

}  // namespace fastimg::optim
