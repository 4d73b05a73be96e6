#pragma once
// One training epoch: progressive resolution, the seeded order, micro-batches for gradient
// accumulation, the scheduled lr per iteration, metrics every train.log_every steps, and a
// resumable checkpoint when a signal asks the ranks to stop.
#include <cstdint>

#include "train/training.h"

namespace fastimg::train {

struct EpochResult {
  double mean_loss = 0;  // over the epoch's optimizer steps
  int64_t batches = 0;   // loader batches consumed (including skipped ones on resume)
  int64_t images = 0;    // images trained on in this call, all ranks
  double seconds = 0;
};

// Loader batches in one epoch: the loader's, capped by train.max_steps_per_epoch.
int64_t batches_per_epoch(const Training& t);

// Trains `epoch` from loader batch `first_batch` on (a resumed epoch skips those it already had).
EpochResult train_epoch(Training& t, int64_t epoch, int64_t first_batch);

}  // namespace fastimg::train
