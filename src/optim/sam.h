#pragma once
// Sharpness-Aware Minimization over any base optimizer.
//
// v1 (Foret et al. 2021, two passes per step): g = ∇L(w); ε = ρ·g/(‖g‖+1e-12), or in the adaptive
// variant (Kwon et al. 2021, ASAM) ε = ρ·w²·g/(‖|w|·g‖+1e-12), the norm taken over all parameters;
// a second forward/backward at w+ε gives g'; w is restored exactly and the base optimizer steps with g'.
// Returns the loss at w.
//
// v2 (single pass): ε_t is built by the same formula from the previous step's gradient g_{t−1}
// (at the current w), one forward/backward at w+ε_t gives g_t, w is restored and the base steps with
// g_t; the first step, and the step after a skipped one, is a plain step. Returns the loss at w+ε_t.
// (The reproduction project's "v2" never fills its gradient list, so it never perturbs and equals its
// base optimizer; this is the method as described, not that code.)
//
// A step whose gradient norm is not finite changes nothing (parameters restored, no base step) and
// is counted in skipped_steps(), the way a loss scaler skips overflowing steps.
#include <memory>

#include "optim/internal/state_io.h"
#include "optim/optimizer.h"

namespace fastimg::optim {

class Sam : public Optimizer {
 public:
  Sam(std::unique_ptr<Optimizer> base, double rho, bool adaptive, bool single_pass);
  torch::Tensor step(const std::function<torch::Tensor()>& closure) override;
  // The base optimizer's update with the gradients already present (no perturbation).
  void apply_gradients() override { base_->apply_gradients(); }
  void set_lr(double lr) override;
  void train() override { base_->train(); }
  void eval() override { base_->eval(); }
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
  std::string name() const override { return single_pass_ ? "sam_v2" : "sam"; }

  int64_t skipped_steps() const { return skipped_; }
  Optimizer& base() { return *base_; }

 private:
  // Moves the parameters to w + ε(direction), saving w; false (nothing moved) if the norm of the
  // direction is not finite.
  bool perturb(const internal::PerParam& direction);
  void restore();
  // The current gradients, with undefined tensors where a parameter has none.
  internal::PerParam gradients() const;
  static bool all_finite(const internal::PerParam& tensors);

  std::unique_ptr<Optimizer> base_;
  double rho_;
  bool adaptive_, single_pass_;
  int64_t skipped_ = 0;
  internal::PerParam backup_;     // w while perturbed; allocated once
  internal::PerParam prev_grad_;  // v2: g_{t−1}; undefined before the first step
};

}  // namespace fastimg::optim
