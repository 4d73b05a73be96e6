// c10d through fastimg::dist: two Gloo ranks on loopback (collectives, data-parallel training equal
// to one process on the combined batch, also with our SGD/AdamW/schedule-free/SAM and with
// SyncBatchNorm, a rank dying),
// torchrun as the launcher, rendezvous failures that must end in an error within the timeout rather
// than a hang, and a world of one.
#include "dist/process_group.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "dist/gradient_reducer.h"
#include "dist/local_launch.h"
#include "test_support.h"
#include "util/error.h"

namespace fastimg::dist {
namespace {

using Clock = std::chrono::steady_clock;
using testing::TempDir;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Run {
  std::vector<RankExit> exits;
  std::vector<std::string> logs;
};

Run run_worker(const std::vector<std::string>& args, int nproc = 2) {
  TempDir dir;
  LocalLaunchOptions options;
  options.nproc = nproc;
  options.timeout = std::chrono::seconds(50);
  options.log_dir = dir.path().string();
  std::vector<std::string> argv = {FASTIMG_DIST_WORKER};
  argv.insert(argv.end(), args.begin(), args.end());
  Run run;
  run.exits = launch_local(argv, options);
  for (int r = 0; r < nproc; ++r) run.logs.push_back(read_file(dir / fmt::format("rank{}.log", r)));
  return run;
}

void expect_all_passed(const Run& run) {
  for (size_t r = 0; r < run.exits.size(); ++r) {
    EXPECT_FALSE(run.exits[r].timed_out) << "rank " << r << " hung:\n" << run.logs[r];
    EXPECT_EQ(run.exits[r].exit_code, 0) << "rank " << r << ":\n" << run.logs[r];
  }
}

TEST(ProcessGroup, TwoGlooRanksAgreeOnCollectives) {
  auto run = run_worker({"collectives"});
  expect_all_passed(run);
}

TEST(ProcessGroup, TwoRanksTrainExactlyLikeOneProcessOnTheCombinedBatch) {
  // One 25 MB bucket, then 256-byte buckets: many buckets reduced while backward still runs.
  for (const char* bucket_bytes : {"26214400", "256"}) {
    auto run = run_worker({"train", "10", bucket_bytes});
    expect_all_passed(run);
    EXPECT_NE(run.logs[0].find("max_diff_vs_single_process="), std::string::npos) << run.logs[0];
    std::printf("bucket %s bytes: %s", bucket_bytes, run.logs[0].c_str());
  }
}

TEST(ProcessGroup, TwoSynchronisedBackwardPassesPerStepStayExact) {
  // SAM's two passes: each backward is reduced, and the Reducer re-arms for the next one.
  auto run = run_worker({"train", "5", "256", "twice"});
  expect_all_passed(run);
  std::printf("%s", run.logs[0].c_str());
}

// Our optimizers (optim/) on 2 ranks x 8 samples for 5 steps equal one process on the 16: the
// worker prints one line per comparison and fails on any difference beyond rtol 1e-5.
void expect_optimizer_matches_single_process(const std::string& name, int comparisons = 1) {
  auto run = run_worker({"train-opt", name, "5"});
  expect_all_passed(run);
  for (int r = 0; r < 2; ++r) {
    size_t lines = 0;
    for (size_t at = 0; (at = run.logs[r].find("max_diff_vs_single_process=", at)) != std::string::npos; ++at) ++lines;
    EXPECT_EQ(lines, static_cast<size_t>(comparisons)) << "rank " << r << ":\n" << run.logs[r];
  }
  std::printf("%s", run.logs[0].c_str());
}

TEST(DataParallelOptimizers, SgdMatchesOneProcessOnTheUnionOfBatches) { expect_optimizer_matches_single_process("sgd"); }

TEST(DataParallelOptimizers, AdamWMatchesOneProcessOnTheUnionOfBatches) {
  expect_optimizer_matches_single_process("adamw");
}

TEST(DataParallelOptimizers, ScheduleFreeSgdMatchesOneProcessInTrainAndEvalWeights) {
  // y while training, x after eval(), and y again after train().
  expect_optimizer_matches_single_process("sgd_schedule_free", 3);
}

TEST(DataParallelOptimizers, SamV1ReducesBothPassesAndMatchesOneProcess) {
  expect_optimizer_matches_single_process("sam");
}

TEST(DataParallelOptimizers, SamWithAnUnreducedSecondPassIsCaught) {
  // The negative control: if SAM's second backward kept local gradients, the check must fail.
  auto run = run_worker({"train-opt", "sam", "5", "unsynced", "1"});
  for (int r = 0; r < 2; ++r) {
    EXPECT_FALSE(run.exits[r].timed_out) << run.logs[r];
    EXPECT_EQ(run.exits[r].exit_code, 1) << run.logs[r];
    EXPECT_NE(run.logs[r].find("FAIL sam train: weights differ from the single process"), std::string::npos)
        << run.logs[r];
  }
}

// SyncBatchNorm (model.sync_bn): 2 ranks x 4 samples with the process group's sum all-reduce as
// the BN hook train like one process with plain BN on the 8 (weights and running statistics within
// rtol 1e-5), also with channels-last inputs; without the hook they must not.
TEST(SyncBatchNorm, TwoRanksMatchOneProcessOnTheUnionOfBatches) {
  for (const char* layout : {"contiguous", "channels_last"}) {
    auto run = run_worker({"train-syncbn", "5", layout});
    expect_all_passed(run);
    for (int r = 0; r < 2; ++r)
      EXPECT_NE(run.logs[r].find("running_stats max_diff_vs_single_process="), std::string::npos) << run.logs[r];
    std::printf("%s: %s", layout, run.logs[0].c_str());
  }
}

TEST(SyncBatchNorm, WithoutSynchronisationTheStatisticsDifferAndTheCheckFails) {
  auto run = run_worker({"train-syncbn", "5", "nosync"});
  for (int r = 0; r < 2; ++r) {
    EXPECT_FALSE(run.exits[r].timed_out) << run.logs[r];
    EXPECT_EQ(run.exits[r].exit_code, 1) << run.logs[r];
    EXPECT_NE(run.logs[r].find("FAIL syncbn: weights differ from the single process"), std::string::npos)
        << run.logs[r];
    EXPECT_NE(run.logs[r].find("FAIL syncbn: BN running statistics differ from the single process"), std::string::npos)
        << run.logs[r];
  }
  std::printf("%s%s", run.logs[0].c_str(), run.logs[1].c_str());
}

TEST(ProcessGroup, ADeadRankIsAnErrorOnTheOthersNotAHang) {
  auto run = run_worker({"die"});
  EXPECT_EQ(run.exits[1].exit_code, 3) << run.logs[1];
  EXPECT_FALSE(run.exits[0].timed_out) << run.logs[0];
  EXPECT_NE(run.exits[0].exit_code, 0) << run.logs[0];
  EXPECT_NE(run.logs[0].find("error: rank 0 of 2: all_reduce failed"), std::string::npos) << run.logs[0];
  EXPECT_LT(run.exits[0].seconds, 40) << run.logs[0];
}

TEST(ProcessGroup, ARankDyingDuringBackwardIsAGradientAllReduceErrorOnTheOthers) {
  auto run = run_worker({"die-in-backward"});
  EXPECT_EQ(run.exits[1].exit_code, 3) << run.logs[1];
  EXPECT_FALSE(run.exits[0].timed_out) << run.logs[0];
  EXPECT_EQ(run.exits[0].exit_code, 1) << run.logs[0];
  EXPECT_NE(run.logs[0].find("error: rank 0 of 2: gradient all_reduce failed"), std::string::npos) << run.logs[0];
  EXPECT_LT(run.exits[0].seconds, 40) << run.logs[0];
}

TEST(ProcessGroup, TheOtherRanksErrorNamesTheRankThatFailedFirst) {
  auto run = run_worker({"raise"});
  EXPECT_EQ(run.exits[1].exit_code, 1) << run.logs[1];
  EXPECT_NE(run.exits[0].exit_code, 0) << run.logs[0];
  EXPECT_FALSE(run.exits[0].timed_out) << run.logs[0];
  EXPECT_NE(run.logs[0].find("failed because rank 1 failed: simulated failure in the data loader"), std::string::npos)
      << run.logs[0];
}

TEST(ProcessGroup, RunsUnderTorchrun) {
  const char* python = std::getenv("FASTIMG_PYTHON");
  TempDir dir;
  auto result = testing::run_command(
      fmt::format("cd {} && timeout 50 {} -m torch.distributed.run --nproc-per-node 2 --master-addr 127.0.0.1 "
                  "--master-port {} --no-python {} collectives 2>&1",
                  dir.path().string(), python ? python : "python3", free_tcp_port(), FASTIMG_DIST_WORKER));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("collectives rank 0 done, 0 failures"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("collectives rank 1 done, 0 failures"), std::string::npos) << result.output;
}

// In-process failures: rendezvous problems must become one clear fastimg::Error within the timeout.
template <typename Fn>
std::string error_within(std::chrono::seconds limit, Fn&& fn) {
  auto start = Clock::now();
  std::string message;
  try {
    fn();
  } catch (const Error& e) {
    message = e.what();
  }
  EXPECT_LT(Clock::now() - start, limit) << message;
  return message;
}

DistEnv two_ranks(int rank, const std::string& addr, int port) {
  DistEnv env;
  env.rank = rank;
  env.world_size = 2;
  env.local_world_size = 2;
  env.local_rank = rank;
  env.master_addr = addr;
  env.master_port = port;
  return env;
}

ProcessGroupOptions fast_fail() {
  ProcessGroupOptions o;
  o.connect_timeout = std::chrono::seconds(2);
  o.timeout = std::chrono::seconds(2);
  return o;
}

TEST(ProcessGroup, NobodyListeningOnMasterPortIsAnErrorWithinTheTimeout) {
  const int port = free_tcp_port();
  auto message =
      error_within(std::chrono::seconds(30), [&] { ProcessGroup pg(two_ranks(1, "127.0.0.1", port), fast_fail()); });
  EXPECT_NE(message.find(fmt::format("127.0.0.1:{}", port)), std::string::npos) << message;
  EXPECT_NE(message.find("rank 1 of 2"), std::string::npos) << message;
}

TEST(ProcessGroup, UnresolvableMasterAddrIsAnErrorWithinTheTimeout) {
  auto message = error_within(std::chrono::seconds(30),
                              [&] { ProcessGroup pg(two_ranks(1, "no-such-host.invalid", 29999), fast_fail()); });
  EXPECT_NE(message.find("no-such-host.invalid:29999"), std::string::npos) << message;
}

TEST(ProcessGroup, RankZeroAloneIsAnErrorWithinTheTimeout) {
  const int port = free_tcp_port();
  auto message =
      error_within(std::chrono::seconds(30), [&] { ProcessGroup pg(two_ranks(0, "127.0.0.1", port), fast_fail()); });
  EXPECT_NE(message.find("rank 0 of 2"), std::string::npos) << message;
}

TEST(ProcessGroup, AWorldOfOneNeedsNoNetworkAndKeepsGradients) {
  ProcessGroup pg(DistEnv{});
  EXPECT_EQ(pg.world_size(), 1);
  auto t = torch::full({3}, 2.0f);
  pg.all_reduce_(t, ReduceOp::kAvg);
  EXPECT_TRUE(torch::equal(t, torch::full({3}, 2.0f)));
  EXPECT_EQ(pg.all_reduce_sum(1.5), 1.5);
  EXPECT_EQ(pg.all_gather(4.0), std::vector<double>{4.0});
  pg.barrier();

  torch::manual_seed(0);
  torch::nn::Linear model(4, 2);
  GradientReducerOptions small;
  small.bucket_bytes = 16;
  small.first_bucket_bytes = 16;
  GradientReducer reducer(*model, pg, small);
  EXPECT_EQ(reducer.num_parameters(), 2u);
  auto x = torch::randn({5, 4});
  for (int step = 0; step < 2; ++step) {
    model->zero_grad();
    auto loss = model->forward(x).square().mean();
    reducer.prepare_for_backward(loss);
    loss.backward();
    auto expected = torch::autograd::grad({model->forward(x).square().mean()}, {model->weight})[0];
    EXPECT_TRUE(torch::allclose(model->weight.grad(), expected)) << "step " << step;
  }
  pg.shutdown();
}

TEST(LocalLaunch, KillsEveryRankAtTheTimeout) {
  LocalLaunchOptions options;
  options.nproc = 2;
  options.timeout = std::chrono::milliseconds(300);
  auto exits = launch_local({"/bin/sleep", "30"}, options);
  for (const auto& e : exits) {
    EXPECT_TRUE(e.timed_out);
    EXPECT_LT(e.seconds, 10);
  }
}

}  // namespace
}  // namespace fastimg::dist
