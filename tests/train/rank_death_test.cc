// A rank of `fastimg train` killed mid-run (SIGKILL: no chance to publish why): the surviving rank
// must end on its own with a clear error well before any collective timeout, and the last
// checkpoint rank 0 wrote must still be the intact, loadable file it was.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>

#include "dist/local_launch.h"
#include "test_support.h"
#include "train/synthetic_shapes.h"

namespace fastimg::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

TEST(DistributedTraining, AKilledRankEndsTheOtherWithAnErrorAndLeavesTheLastCheckpointIntact) {
  testing::TempDir dir;
  // 80 images, 2 ranks x 8 per batch: 5 steps per epoch; 4 epochs so the kill lands mid-run.
  write_synthetic_dataset((dir / "train.beton").string(), {8, 1}, 2, false);
  write_synthetic_dataset((dir / "val.beton").string(), {2, 2}, 2, false);
  const fs::path run_dir = dir / "run";
  std::ofstream(dir / "c.toml") << "[data]\ntrain = \"" << (dir / "train.beton").string()
                                << "\"\nbatch_size = 8\nthreads = 1\n"
                                   "[model]\narch = \"resnet_mini\"\n[optimizer]\nlr = 0.1\n"
                                   "[train]\nepochs = 4\nmin_res = 32\nmax_res = 32\n"
                                   "[validation]\nres = 32\n[output]\nprogress = false\nrun_dir = \""
                                << run_dir.string() << "\"\n";
  // Each rank records its pid before exec'ing fastimg, so the test can kill rank 1 itself.
  const std::string rank_command = fmt::format("echo $$ > {}/pid.$RANK && exec {} train --config {}",
                                               dir.path().string(), testing::fastimg_exe().string(),
                                               (dir / "c.toml").string());
  dist::LocalLaunchOptions options;
  options.nproc = 2;
  options.timeout = std::chrono::seconds(150);  // a hang is a failure, not a stuck test
  // The launcher must not end the survivor for us (as it would after the grace period): the point
  // is that the survivor ends by itself.
  options.kill_grace = std::chrono::seconds(150);
  options.log_dir = (dir / "logs").string();
  fs::create_directories(options.log_dir);
  const auto launched = Clock::now();
  auto ranks = std::async(std::launch::async, [&] { return dist::launch_local({"/bin/sh", "-c", rank_command}, options); });

  // Wait for epoch 1's checkpoint (written atomically by rank 0), then kill rank 1 in epoch 2.
  const fs::path checkpoint = run_dir / "last.pt";
  std::string checkpoint_bytes;
  Clock::time_point killed_at{};
  while (Clock::now() - launched < std::chrono::seconds(120) &&
         ranks.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
    if (!fs::exists(checkpoint)) continue;
    checkpoint_bytes = slurp(checkpoint);
    const int pid = std::atoi(slurp(dir / "pid.1").c_str());
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    killed_at = Clock::now();
    break;
  }
  auto exits = ranks.get();
  const std::string log0 = slurp(dir / "logs" / "rank0.log"), log1 = slurp(dir / "logs" / "rank1.log");
  ASSERT_FALSE(checkpoint_bytes.empty()) << "no checkpoint appeared before the run ended\nrank 0:\n"
                                         << log0 << "\nrank 1:\n" << log1;
  ASSERT_EQ(exits.size(), 2u);
  EXPECT_EQ(exits[1].exit_code, 128 + SIGKILL) << log1;

  // The survivor: non-zero by itself (no timeout, no launcher signal), soon, naming what failed.
  EXPECT_FALSE(exits[0].timed_out) << log0;
  EXPECT_EQ(exits[0].exit_code, 1) << log0;
  const double survived = exits[0].seconds - seconds_between(launched, killed_at);
  EXPECT_LT(survived, 30) << log0;
  EXPECT_NE(log0.find("fastimg: error: rank 0 of 2:"), std::string::npos) << log0;
  EXPECT_NE(log0.find("failed"), std::string::npos) << log0;
  std::printf("killed rank 1 %.1f s after launch; rank 0 ended %.1f s later: %s", seconds_between(launched, killed_at), survived,
              log0.substr(log0.rfind("fastimg: error:") == std::string::npos ? 0 : log0.rfind("fastimg: error:"))
                  .c_str());

  // The last good checkpoint: byte for byte what was there at the kill, no half-written temp file
  // beside it, and loadable by `fastimg eval`.
  EXPECT_TRUE(slurp(checkpoint) == checkpoint_bytes) << "last.pt changed after the kill";
  for (const auto& entry : fs::directory_iterator(run_dir))
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  auto eval = testing::run_command(fmt::format("{} eval --checkpoint {} --data {} --json --threads 1 2>&1",
                                               testing::fastimg_exe().string(), checkpoint.string(),
                                               (dir / "val.beton").string()));
  EXPECT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_NE(eval.output.find("\"samples\":20"), std::string::npos) << eval.output;
}

}  // namespace
}  // namespace fastimg::train
