#include "optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "util/error.h"

namespace fastimg::optim {
namespace {

// np.interp for increasing xs: clamped to the end values outside [xs.front(), xs.back()].
double interp(double x, const std::vector<double>& xs, const std::vector<double>& ys) {
  if (x <= xs.front()) return ys.front();
  if (x >= xs.back()) return ys.back();
  size_t i = 1;
  while (x > xs[i]) ++i;
  if (x == xs[i]) return ys[i];
  const double slope = (ys[i] - ys[i - 1]) / (xs[i] - xs[i - 1]);  // numpy's order of operations
  return slope * (x - xs[i - 1]) + ys[i - 1];
}

double after_warmup(const ScheduleOptions& o, double lr, double epoch) {
  const double e = epoch - o.warmup_epochs, span = static_cast<double>(o.epochs) - o.warmup_epochs;
  if (o.name == "constant") return lr;
  if (o.name == "step") {
    int64_t drops = 0;
    if (o.milestones.empty()) {
      drops = static_cast<int64_t>(std::floor(epoch / o.step_size));
    } else {
      drops = std::count_if(o.milestones.begin(), o.milestones.end(), [&](double m) { return epoch >= m; });
    }
    return lr * std::pow(o.gamma, static_cast<double>(drops));
  }
  const double progress = std::clamp(e / span, 0.0, 1.0);
  if (o.name == "cosine") return o.min_lr + (lr - o.min_lr) * (1 + std::cos(std::numbers::pi * progress)) / 2;
  return lr + (o.min_lr - lr) * progress;  // linear
}

}  // namespace

std::vector<std::string> schedule_names() { return {"triangular", "step", "cosine", "linear", "constant"}; }

void validate(const ScheduleOptions& o) {
  const std::string& n = o.name;
  const auto names = schedule_names();
  if (std::find(names.begin(), names.end(), n) == names.end())
    fail("unknown lr schedule '{}' (known: constant, step, triangular, cosine, linear)", n);
  if (o.epochs <= 0) fail("lr schedule '{}': epochs must be > 0, got {}", n, o.epochs);
  if (n == "triangular" && !(o.lr_peak_epoch >= 0 && o.lr_peak_epoch <= static_cast<double>(o.epochs))) {
    fail("lr schedule triangular: lr_peak_epoch {} outside [0, epochs={}]", o.lr_peak_epoch, o.epochs);
  }
  if (n != "triangular" && !(o.warmup_epochs >= 0 && o.warmup_epochs < static_cast<double>(o.epochs))) {
    fail("lr schedule '{}': warmup_epochs {} outside [0, epochs={})", n, o.warmup_epochs, o.epochs);
  }
  if (n == "step" && o.milestones.empty() && o.step_size <= 0) fail("lr schedule step: step_size must be > 0");
}

double scheduled_lr(const ScheduleOptions& o, double lr, double epoch) {
  validate(o);
  if (o.name == "triangular") {
    return interp(epoch, {0.0, o.lr_peak_epoch, static_cast<double>(o.epochs)}, {o.initial_fraction * lr, lr, 0.0});
  }
  if (epoch < o.warmup_epochs) {
    // torch's LinearLR: factor from start_fraction to 1 over the warm-up, reaching 1 at its end.
    return lr * (o.warmup_start_fraction + (1 - o.warmup_start_fraction) * epoch / o.warmup_epochs);
  }
  return after_warmup(o, lr, epoch);
}

}  // namespace fastimg::optim
