// `fastimg train` under two Gloo ranks on this machine (the environment torchrun gives), also with
// model.sync_bn.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

#include "dist/local_launch.h"
#include "test_support.h"
#include "models/registry.h"
#include "train/checkpoint.h"
#include "train/synthetic_shapes.h"

namespace fastimg::train {
namespace {

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// The train loss of each step in a run's metrics.jsonl; a step logged twice (by a killed run and
// again after its resume) keeps the later line.
std::map<int64_t, double> train_loss_by_step(const std::filesystem::path& metrics) {
  std::map<int64_t, double> out;
  std::ifstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j["type"] == "train") out[j["step"].get<int64_t>()] = j["loss"].get<double>();
  }
  return out;
}

TEST(DistributedTraining, TwoGlooRanksTrainAndCountEveryValidationImageOnce) {
  testing::TempDir dir;
  write_synthetic_dataset((dir / "train.beton").string(), {16, 1}, 2, false);
  // 10 classes x 7 = 70 validation images: not a multiple of 2 ranks x batch, so shards are padded.
  write_synthetic_dataset((dir / "val.beton").string(), {7, 2}, 2, false);
  std::ofstream(dir / "c.toml") << "[data]\ntrain = \"" << (dir / "train.beton").string() << "\"\nval = \""
                                << (dir / "val.beton").string()
                                << "\"\nbatch_size = 8\nval_batch_size = 16\nthreads = 1\n"
                                   "[model]\narch = \"resnet_mini\"\n[optimizer]\nlr = 0.1\n"
                                   "[train]\nepochs = 2\nmin_res = 32\nmax_res = 32\n"
                                   "[validation]\nres = 32\n[output]\nprogress = false\nrun_dir = \""
                                << (dir / "run").string() << "\"\n";
  dist::LocalLaunchOptions options;
  options.nproc = 2;
  options.timeout = std::chrono::minutes(5);
  options.log_dir = (dir / "logs").string();
  std::filesystem::create_directories(options.log_dir);
  auto exits = dist::launch_local({testing::fastimg_exe().string(), "train", "--config", (dir / "c.toml").string()}, options);
  ASSERT_EQ(exits.size(), 2u);
  for (size_t r = 0; r < exits.size(); ++r) {
    std::ifstream log(dir / "logs" / ("rank" + std::to_string(r) + ".log"));
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_EQ(exits[r].exit_code, 0) << "rank " << r << ":\n" << text;
  }
  auto summary = read_json(dir / "run" / "summary.json");
  EXPECT_EQ(summary["world_size"], 2);
  // 160 training images, 2 ranks x 8 per batch -> 10 steps per epoch per rank.
  EXPECT_EQ(summary["steps"], 20);
  std::ifstream metrics(dir / "run" / "metrics.jsonl");
  int evals = 0;
  for (std::string line; std::getline(metrics, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["type"] != "eval") continue;
    ++evals;
    EXPECT_EQ(j["samples"], 70);  // padding repeats are not counted
  }
  EXPECT_EQ(evals, 2);
}

// model.sync_bn through `fastimg launch --nproc 2 -- train`: training, BN recalibration (its forward
// passes reduce too) and evaluation run with the SyncBatchNorm hook installed without a hang, and
// the training loss differs from the same run without it (the BN statistics are the global batch's).
TEST(DistributedTraining, SyncBatchNormTrainsRecalibratesAndEvaluates) {
  testing::TempDir dir;
  write_synthetic_dataset((dir / "train.beton").string(), {16, 1}, 2, false);
  write_synthetic_dataset((dir / "val.beton").string(), {7, 2}, 2, false);
  auto train_losses = [&](bool sync_bn) {
    const auto run_dir = dir / (sync_bn ? "sync" : "local");
    auto result = testing::run_command(fmt::format(
        "{} launch --nproc 2 --timeout-minutes 5 -- train --set data.train={} --set data.val={} "
        "--set model.arch=resnet_mini --set model.sync_bn={} --set data.batch_size=4 --set data.val_batch_size=16 "
        "--set train.epochs=1 --set train.min_res=32 --set train.max_res=32 --set validation.res=32 "
        "--set validation.bn_recalibration=final --set validation.bn_recalibration_samples=32 "
        "--set train.max_steps_per_epoch=6 --set train.log_every=1 --set optimizer.lr=0.1 "
        "--set schedule.lr_peak_epoch=0.5 "
        "--set output.progress=false --set data.threads=1 --set output.run_dir={} 2>&1",
        testing::fastimg_exe().string(), (dir / "train.beton").string(), (dir / "val.beton").string(),
        sync_bn ? "true" : "false", run_dir.string()));
    EXPECT_EQ(result.exit_code, 0) << result.output;
    std::vector<double> losses;
    int evals = 0;
    std::ifstream metrics(run_dir / "metrics.jsonl");
    for (std::string line; std::getline(metrics, line);) {
      auto j = nlohmann::json::parse(line);
      if (j["type"] == "train") losses.push_back(j["loss"].get<double>());
      if (j["type"] == "eval") {
        ++evals;
        EXPECT_EQ(j["samples"], 70);
      }
    }
    EXPECT_EQ(evals, 1) << result.output;
    EXPECT_EQ(losses.size(), 6u) << result.output;
    return losses;
  };
  const auto synced = train_losses(true), local = train_losses(false);
  ASSERT_EQ(synced.size(), local.size());
  ASSERT_FALSE(synced.empty());
  // Same initial weights and batches: the first step's loss (BN on 2x4 vs 4 images) already differs.
  std::printf("first-step loss with sync_bn %.6f, without %.6f\n", synced[0], local[0]);
  EXPECT_NE(synced[0], local[0]);
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

double eval_top1(const testing::TempDir& dir, int nproc) {
  auto result = testing::run_command(fmt::format(
      "{} launch --nproc {} --timeout-minutes 5 -- eval --checkpoint {} --data {} --json --threads 1",
      testing::fastimg_exe().string(), nproc, (dir / "run" / "last.pt").string(), (dir / "val.beton").string()));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  // Every rank prints the same combined result; take the first JSON line.
  auto brace = result.output.find("{\"checkpoint\"");
  if (brace == std::string::npos) brace = result.output.find('{');
  EXPECT_NE(brace, std::string::npos) << result.output;
  auto j = nlohmann::json::parse(result.output.substr(brace, result.output.find('\n', brace) - brace));
  EXPECT_EQ(j["samples"], 70) << nproc << " ranks";
  return j["top1"].get<double>();
}

// The same checkpoint evaluated by 1, 2 and 3 ranks (70 images: not divisible by 2 or 3) gives
// exactly the same top-1: shards are disjoint and padding is not counted.
TEST(DistributedEvaluation, OneTwoAndThreeRanksAgreeExactly) {
  testing::TempDir dir;
  write_synthetic_dataset((dir / "train.beton").string(), {8, 1}, 2, false);
  write_synthetic_dataset((dir / "val.beton").string(), {7, 2}, 2, false);
  auto train = testing::run_command(fmt::format(
      "{} train --set data.train={} --set model.arch=resnet_mini --set data.batch_size=16 --set train.epochs=1 "
      "--set train.min_res=32 --set train.max_res=32 --set validation.res=32 --set output.progress=false "
      "--set data.threads=1 --set schedule.lr_peak_epoch=0.5 --set output.run_dir={}",
      testing::fastimg_exe().string(), (dir / "train.beton").string(), (dir / "run").string()));
  ASSERT_EQ(train.exit_code, 0) << train.output;
  double one = eval_top1(dir, 1);
  EXPECT_EQ(eval_top1(dir, 2), one);
  EXPECT_EQ(eval_top1(dir, 3), one);
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

// A run checkpointed by 2 Gloo ranks (killed) resumes on 1 process with the same global batch and
// continues the uninterrupted 2-rank run (model.sync_bn makes BatchNorm see the global batch either
// way). The reduction order differs, so the two agree to float noise (1e-7) right after the resume;
// training then amplifies that noise, by orders of magnitude in one step where a max-pool or ReLU
// flips, so the exact check is on the four steps after the checkpoint (a wrong batch, lr or lost
// momentum shows there) and the final weights only have to stay close. Another global batch, or
// one that does not divide, is a one-line error.
TEST(ElasticResume, TwoRanksCheckpointThenOneProcessFinishesTheSameRun) {
  testing::TempDir dir;
  write_synthetic_dataset((dir / "train.beton").string(), {16, 1}, 2, false);
  const std::string exe = testing::fastimg_exe().string();
  auto args = [&](const std::string& run, const std::string& extra) {
    return fmt::format(
        "--set data.train={} --set model.arch=resnet_mini --set model.sync_bn=true --set data.global_batch_size=8 "
        "--set train.epochs=1 --set train.min_res=32 --set train.max_res=32 --set train.log_every=1 "
        "--set optimizer.lr=0.02 --set schedule.lr_peak_epoch=0.5 --set output.progress=false --set data.threads=1 --set train.seed=4 "
        "--set output.checkpoint_every_steps=4 --set output.run_dir={} {} 2>&1",
        (dir / "train.beton").string(), (dir / run).string(), extra);
  };
  // The uninterrupted run: the same 2 ranks, never stopped.
  auto reference =
      testing::run_command(fmt::format("{} launch --nproc 2 --timeout-minutes 5 -- train {}", exe, args("reference", "")));
  ASSERT_EQ(reference.exit_code, 0) << reference.output;

  const auto metrics = dir / "elastic" / "metrics.jsonl";
  auto killed = testing::run_command(fmt::format(
      "setsid {} launch --nproc 2 --timeout-minutes 5 -- train {} >/dev/null & pid=$!; for i in $(seq 1 3000); do "
      "[ $(cat {} 2>/dev/null | wc -l) -ge 9 ] && break; sleep 0.01; done; /bin/kill -9 -- -$pid; wait $pid; echo \"rc=$?\"",
      exe, args("elastic", ""), metrics.string()));
  ASSERT_NE(killed.output.find("rc=137"), std::string::npos) << killed.output;
  int64_t resume_step = 0;  // the step the latest two-rank checkpoint continues from
  for (const auto& e : std::filesystem::directory_iterator(dir / "elastic" / "checkpoints")) {
    if (e.path().extension() != ".pt") continue;
    const CheckpointInfo info = read_checkpoint_info(e.path().string());
    EXPECT_EQ(info.global_batch, 8);
    resume_step = std::max(resume_step, info.next_step);
  }
  ASSERT_GT(resume_step, 0);

  auto three = testing::run_command(
      fmt::format("{} launch --nproc 3 --timeout-minutes 5 -- train {}", exe, args("elastic", "--set output.resume=auto")));
  EXPECT_NE(three.exit_code, 0);
  EXPECT_NE(three.output.find("data.global_batch_size = 8 is not divisible by the world size 3"), std::string::npos)
      << three.output;
  auto other_batch = testing::run_command(fmt::format(
      "{} train {}", exe, args("elastic", "--set output.resume=auto --set data.global_batch_size=0 --set data.batch_size=4")));
  EXPECT_NE(other_batch.exit_code, 0);
  EXPECT_NE(other_batch.output.find("written with a global batch of 8, this run's is 4"), std::string::npos)
      << other_batch.output;

  auto resumed = testing::run_command(fmt::format("{} train {}", exe, args("elastic", "--set output.resume=auto")));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming from"), std::string::npos) << resumed.output;

  auto weights = [&](const std::string& run) {
    auto model = models::make_model("resnet_mini", {.num_classes = 10});
    load_checkpoint((dir / run / "last.pt").string(), *model, nullptr);
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& p : model->named_parameters()) out.emplace_back(p.key(), p.value().detach().clone());
    for (const auto& b : model->named_buffers()) out.emplace_back(b.key(), b.value().clone());
    return out;
  };
  const auto got = weights("elastic"), want = weights("reference");
  ASSERT_EQ(got.size(), want.size());
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const auto& [key, x] = got[i];
    const torch::Tensor& y = want[i].second;
    if (!x.is_floating_point()) {
      EXPECT_TRUE(torch::equal(x, y)) << key;
      continue;
    }
    const double rel = ((x - y).abs().max() / y.abs().max().clamp_min(1e-12)).item<double>();
    worst = std::max(worst, rel);
    EXPECT_LE(rel, 2e-2) << key;  // max |x - y| relative to the tensor's scale
  }
  std::printf("2 ranks -> 1 process: worst relative weight difference %.3g\n", worst);

  const auto got_loss = train_loss_by_step(dir / "elastic" / "metrics.jsonl");
  const auto want_loss = train_loss_by_step(dir / "reference" / "metrics.jsonl");
  EXPECT_EQ(got_loss.size(), want_loss.size());
  for (int64_t step = resume_step + 1; step <= resume_step + 4; ++step) {
    ASSERT_TRUE(got_loss.count(step) && want_loss.count(step)) << "step " << step;
    EXPECT_NEAR(got_loss.at(step), want_loss.at(step), 1e-5 * want_loss.at(step)) << "step " << step;
  }
}

}  // namespace
}  // namespace fastimg::train
