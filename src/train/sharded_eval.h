#pragma once
// Evaluation split across ranks: each rank evaluates its round-robin shard (samples r, r+W, ...),
// counting only its real samples (the loader pads shards by wrap-around), and the sums are combined.
#include <cstdint>

#include "dist/process_group.h"
#include "train/evaluate.h"

namespace fastimg::train {

// Samples of a file of `num_samples` that belong to `rank`'s shard (padding excluded).
inline int64_t shard_samples(int64_t num_samples, int rank, int world_size) {
  return (num_samples - rank + world_size - 1) / world_size;
}

// Sums every rank's counts into `result` (a no-op for a world of one).
inline void combine_across_ranks(EvalResult& result, dist::ProcessGroup& pg) {
  if (pg.world_size() <= 1) return;
  result.correct1 = pg.all_reduce_sum(result.correct1);
  result.correct5 = pg.all_reduce_sum(result.correct5);
  result.loss_sum = pg.all_reduce_sum(result.loss_sum);
  result.samples = static_cast<int64_t>(pg.all_reduce_sum(static_cast<double>(result.samples)));
  result.finalize();
}

}  // namespace fastimg::train
