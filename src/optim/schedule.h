#pragma once
// Learning-rate schedules as pure functions of the fractional epoch (epoch + step/steps_per_epoch),
// stepped per iteration and computable at any step directly (resume needs no replay).
//
// lr is the base (peak) rate, the optimizer's own lr option.
//   constant    lr
//   step        lr · gamma^(number of milestones ≤ epoch); without milestones, one every step_size epochs
//   triangular  FFCV's get_cyclic_lr: np.interp(epoch, [0, lr_peak_epoch, epochs],
//               [initial_fraction·lr, lr, 0])  (FFCV uses initial_fraction = 1e-4)
//   cosine      min_lr + (lr − min_lr)·(1 + cos(π·(e − w)/(epochs − w)))/2 after warm-up; equals
//               torch's SequentialLR(LinearLR(warmup_start_fraction, w), CosineAnnealingLR(eta_min=min_lr))
//   linear      lr → min_lr linearly from the end of warm-up to epochs
// Warm-up (all but triangular): over warmup_epochs, linear from warmup_start_fraction·lr to lr.
#include <cstdint>
#include <string>
#include <vector>

namespace fastimg::optim {

struct ScheduleOptions {
  std::string name = "triangular";  // constant | step | triangular | cosine | linear
  int64_t epochs = 16;
  double lr_peak_epoch = 2;            // triangular
  double initial_fraction = 1e-4;      // triangular: lr at epoch 0 as a fraction of lr
  std::vector<double> milestones;      // step
  double step_size = 30;               // step, when milestones is empty
  double gamma = 0.1;                  // step
  double warmup_epochs = 0;            // constant, step, cosine, linear
  double warmup_start_fraction = 0.01;
  double min_lr = 0;                   // cosine, linear: the value at the last epoch
};

// The learning rate at a fractional epoch for base (peak) rate lr; fails (fastimg::Error) on an
// unknown name or bad options.
double scheduled_lr(const ScheduleOptions& options, double lr, double epoch);
std::vector<std::string> schedule_names();
// Checks options once (the same errors scheduled_lr raises), e.g. when a config is loaded.
void validate(const ScheduleOptions& options);

}  // namespace fastimg::optim
