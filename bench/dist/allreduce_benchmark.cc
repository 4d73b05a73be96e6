// All-reduce bandwidth of a 25 MB float32 tensor (one default gradient bucket) across 2 Gloo ranks
// on this machine, against memcpy of the same bytes measured in the same run.
// Run without RANK set: it starts its own ranks with launch_local. `--json` prints one JSON object.
#include <fmt/format.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "dist/env.h"
#include "dist/local_launch.h"
#include "dist/process_group.h"

namespace dist = fastimg::dist;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kBytes = 25 << 20;
constexpr int kWarmup = 3;
constexpr int kIters = 20;

template <typename Fn>
double median_seconds(Fn&& fn) {
  for (int i = 0; i < kWarmup; ++i) fn();
  std::vector<double> times;
  for (int i = 0; i < kIters; ++i) {
    auto start = Clock::now();
    fn();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::nth_element(times.begin(), times.begin() + kIters / 2, times.end());
  return times[kIters / 2];
}

int rank_main(bool json) {
  torch::set_num_threads(1);
  dist::ProcessGroup pg(dist::detect_env());
  std::vector<char> src(kBytes, 1), dst(kBytes);
  pg.barrier();  // both ranks copy at the same time: the same memory-bus contention as below
  const double memcpy_s = median_seconds([&] {
    std::memcpy(dst.data(), src.data(), kBytes);
    asm volatile("" : : "r"(dst.data()) : "memory");
  });
  auto t = torch::ones({kBytes / 4});
  pg.barrier();
  const double allreduce_s = median_seconds([&] { pg.all_reduce_(t, dist::ReduceOp::kSum); });
  if (pg.rank() == 0) {
    const double memcpy_gbs = kBytes / memcpy_s / 1e9, allreduce_gbs = kBytes / allreduce_s / 1e9;
    if (json) {
      std::printf("%s\n", nlohmann::json{{"what", "allreduce_25MB_gloo"},
                                         {"world_size", pg.world_size()},
                                         {"bytes", kBytes},
                                         {"memcpy_GBps", memcpy_gbs},
                                         {"allreduce_GBps", allreduce_gbs},
                                         {"allreduce_ms", allreduce_s * 1e3},
                                         {"ratio", allreduce_gbs / memcpy_gbs}}
                              .dump()
                              .c_str());
    } else {
      std::printf("%-38s %14s %14s %8s\n", "what", "baseline", "ours", "ratio");
      std::printf("%-38s %9.2f GB/s %9.2f GB/s %8.3f\n",
                  fmt::format("25 MB all-reduce, {} Gloo ranks", pg.world_size()).c_str(), memcpy_gbs, allreduce_gbs,
                  allreduce_gbs / memcpy_gbs);
      std::printf("baseline: memcpy of 25 MB; ours: bytes / median all-reduce time (%.2f ms, %d iterations)\n",
                  allreduce_s * 1e3, kIters);
    }
  }
  pg.shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false;
  for (int i = 1; i < argc; ++i) json = json || std::string(argv[i]) == "--json";
  try {
    if (std::getenv("RANK")) return rank_main(json);
    char self[4096];
    ssize_t len = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (len <= 0) throw std::runtime_error("cannot find this executable");
    self[len] = 0;
    dist::LocalLaunchOptions options;
    options.nproc = 2;
    options.timeout = std::chrono::minutes(5);
    std::vector<std::string> args(argv, argv + argc);
    args[0] = self;
    int worst = 0;
    for (const auto& e : dist::launch_local(args, options)) worst = std::max(worst, e.exit_code);
    return worst;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "allreduce_benchmark: error: %s\n", e.what());
    return 1;
  }
}
