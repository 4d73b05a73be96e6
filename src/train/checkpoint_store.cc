#include "train/checkpoint_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <tuple>

#include "train/checkpoint.h"
#include "util/error.h"

namespace fastimg::train {
namespace fs = std::filesystem;
namespace {

// Periodic checkpoint files, oldest first (the zero-padded names sort by position).
std::vector<fs::path> periodic_files(const std::string& run_dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(run_dir) / "checkpoints", ec))
    if (e.path().extension() == ".pt" && e.path().filename().string().starts_with("e")) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string periodic_checkpoint_path(const std::string& run_dir, int64_t epoch, int64_t batch) {
  return (fs::path(run_dir) / "checkpoints" / fmt::format("e{:05}-b{:09}.pt", epoch, batch)).string();
}

void prune_periodic_checkpoints(const std::string& run_dir, int64_t keep) {
  const auto files = periodic_files(run_dir);
  const size_t n = files.size() > static_cast<size_t>(keep) ? files.size() - static_cast<size_t>(keep) : 0;
  for (size_t i = 0; i < n; ++i) {
    std::error_code ec;
    fs::remove(files[i], ec);
  }
}

std::vector<std::string> resume_candidates(const std::string& run_dir) {
  std::vector<std::string> paths;
  if (fs::exists(fs::path(run_dir) / "last.pt")) paths.push_back((fs::path(run_dir) / "last.pt").string());
  for (const auto& p : periodic_files(run_dir)) paths.push_back(p.string());
  // Position: (epoch to run next, batches of it done); unreadable files sort last.
  std::vector<std::tuple<int64_t, int64_t, std::string>> ranked;
  for (const auto& p : paths) {
    try {
      const CheckpointInfo info = read_checkpoint_info(p);
      ranked.emplace_back(info.epoch + 1, info.next_step, p);
    } catch (const Error&) {
      ranked.emplace_back(-1, -1, p);
    }
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return std::tie(std::get<0>(a), std::get<1>(a)) > std::tie(std::get<0>(b), std::get<1>(b)); });
  std::vector<std::string> out;
  for (const auto& r : ranked) out.push_back(std::get<2>(r));
  return out;
}

}  // namespace fastimg::train
