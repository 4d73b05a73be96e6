#pragma once
// What follows each epoch: evaluation when validation.eval_every (or the last epoch) asks for it,
// with BatchNorm recalibration and buffers averaged across ranks first, then best.pt and last.pt.
#include <cstdint>
#include <optional>

#include "train/evaluate.h"
#include "train/training.h"

namespace fastimg::train {

// Whether `epoch` is evaluated (there is validation data and eval_every or the last epoch asks).
bool evaluates_after(const Training& t, int64_t epoch);

// Evaluates the model after `epoch` on all ranks' shards (train_loss: for the printed line);
// writes best.pt when top-1 improved.
EvalResult evaluate_after_epoch(Training& t, int64_t epoch, double train_loss);

// last.pt after `epoch` completed (rank 0 writes; every rank's BatchNorm buffers are averaged first).
void save_epoch_checkpoint(Training& t, int64_t epoch);

}  // namespace fastimg::train
