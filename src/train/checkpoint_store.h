#pragma once
// Where a run's checkpoints live and which one a run resumes from: run_dir/last.pt (epoch ends
// and stop signals), run_dir/best.pt, and the periodic mid-epoch ones in run_dir/checkpoints/,
// named by training position so that the newest is the one furthest into the run.
#include <cstdint>
#include <string>
#include <vector>

namespace fastimg::train {

// run_dir/checkpoints/e<epoch>-b<batch>.pt: `batch` loader batches of epoch `epoch` (0-based) done.
std::string periodic_checkpoint_path(const std::string& run_dir, int64_t epoch, int64_t batch);

// Removes all but the newest `keep` periodic checkpoints.
void prune_periodic_checkpoints(const std::string& run_dir, int64_t keep);

// last.pt and the periodic checkpoints, furthest into the run first (by the position each one
// records; files that cannot be read are listed last, so that loading them reports the damage).
std::vector<std::string> resume_candidates(const std::string& run_dir);

}  // namespace fastimg::train
