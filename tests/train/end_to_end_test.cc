// End to end on generated data: write .beton files, train, evaluate, checkpoint, resume; the demo.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "format/writer.h"
#include "models/registry.h"
#include "test_support.h"
#include "train/checkpoint.h"
#include "train/demo.h"
#include "train/plot.h"
#include "train/synthetic_shapes.h"
#include "train/trainer.h"

namespace fastimg::train {
namespace {

class EndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    write_synthetic_dataset((*dir_ / "train.beton").string(), {24, 1}, 2, false);
    write_synthetic_dataset((*dir_ / "val.beton").string(), {8, 2}, 2, false);
  }
  static void TearDownTestSuite() { delete dir_; }

  TrainConfig tiny_config(const std::string& run) const {
    TrainConfig c;
    c.data.train.path = (*dir_ / "train.beton").string();
    c.data.val_path = (*dir_ / "val.beton").string();
    c.output.run_dir = (*dir_ / run).string();
    c.model.arch = "resnet_mini";
    c.data.train.batch_size = 16;
    c.data.val_batch_size = 32;
    c.data.train.threads = 2;
    c.optimizer.lr = 0.2;
    c.schedule.epochs = 4;
    c.schedule.lr_peak_epoch = 1;
    c.train.resolution.min_res = c.train.resolution.max_res = 48;
    c.validation.res = 48;
    c.output.progress = false;
    c.train.seed = 3;
    return c;
  }

  static testing::TempDir* dir_;
};
testing::TempDir* EndToEnd::dir_ = nullptr;

TEST_F(EndToEnd, TrainingReducesTheLossAndWritesTheRunDirectory) {
  auto c = tiny_config("run-loss");
  c.schedule.epochs = 6;
  auto result = run_training(c);
  ASSERT_EQ(result.epoch_train_loss.size(), 6u);
  EXPECT_LT(result.epoch_train_loss.back(), result.epoch_train_loss.front() - 0.2);
  EXPECT_EQ(result.final_eval.samples, 80);  // every validation image counted once
  for (const char* name : {"config.toml", "metrics.jsonl", "last.pt", "summary.json"})
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(c.output.run_dir) / name)) << name;
  std::ifstream metrics(std::filesystem::path(c.output.run_dir) / "metrics.jsonl");
  int evals = 0;
  for (std::string line; std::getline(metrics, line);)
    if (nlohmann::json::parse(line)["type"] == "eval") ++evals;
  EXPECT_EQ(evals, 6);
}

// Two batches per optimizer step: half the steps, every batch still trained on, and a different
// model than one batch per step (the effective batch doubled).
TEST_F(EndToEnd, GradientAccumulationTakesOneStepPerGroupOfBatches) {
  auto one = tiny_config("run-accum-1");
  one.schedule.epochs = 1;
  auto two = tiny_config("run-accum-2");
  two.schedule.epochs = 1;
  two.step.grad_accumulation = 2;
  const auto r1 = run_training(one);
  const auto r2 = run_training(two);
  // 240 training images, batch 16: 15 batches -> 15 steps, or 8 steps (7 pairs and a single).
  EXPECT_EQ(r1.steps, 15);
  EXPECT_EQ(r2.steps, 8);
  EXPECT_TRUE(std::isfinite(r2.epoch_train_loss.back()));
  std::ifstream metrics(std::filesystem::path(two.output.run_dir) / "metrics.jsonl");
  int64_t last_step = 0;
  for (std::string line; std::getline(metrics, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["type"] == "train") last_step = j["step"];
  }
  EXPECT_EQ(last_step, 15);  // `step` counts batches: the whole epoch was read
}

std::vector<torch::Tensor> load_weights(const std::string& checkpoint, const TrainConfig& c) {
  models::ModelOptions o;
  o.num_classes = 10;
  auto model = models::make_model(c.model.arch, o);
  load_checkpoint(checkpoint, *model, nullptr);
  std::vector<torch::Tensor> out;
  for (auto& p : model->parameters()) out.push_back(p.detach().clone());
  for (auto& b : model->buffers()) out.push_back(b.detach().clone());
  return out;
}

TEST_F(EndToEnd, ResumeGivesTheSameWeightsAsAnUninterruptedRun) {
  auto straight = tiny_config("run-straight");
  run_training(straight);

  // The same 4-epoch run, stopped after epoch 2 (as if interrupted), then resumed.
  auto split = tiny_config("run-split");
  split.train.stop_after_epochs = 2;
  run_training(split);
  split.train.stop_after_epochs = 0;
  split.output.resume = ResumeMode::kLast;
  run_training(split);

  auto a = load_weights((std::filesystem::path(straight.output.run_dir) / "last.pt").string(), straight);
  auto b = load_weights((std::filesystem::path(split.output.run_dir) / "last.pt").string(), split);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "tensor " << i;
}

// Writes `count` generated images with labels i % classes (a file the synthetic splits cannot give).
void write_labelled_file(const std::string& out, size_t count, int64_t classes) {
  format::LabeledImageSource src;
  src.size = count;
  src.name = [](size_t i) { return fmt::format("img{}", i); };
  src.load = [](size_t i) { return draw_synthetic_image(static_cast<int>(i % kSyntheticClasses), i, 5); };
  src.label = [classes](size_t i) { return static_cast<int64_t>(i) % classes; };
  format::WriterOptions o;
  o.workers = 1;
  ASSERT_EQ(format::write_images(src, out, o).written, count);
}

std::string training_error(const TrainConfig& c) {
  try {
    run_training(c);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// The data are checked against the model before the first step; each problem names the file.
TEST_F(EndToEnd, DataThatDoNotFitTheModelAreRefusedBeforeTraining) {
  auto few_classes = tiny_config("run-classes");
  few_classes.model.options.num_classes = 3;  // the file has 10
  std::string msg = training_error(few_classes);
  EXPECT_NE(msg.find("train.beton"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model.num_classes is 3"), std::string::npos) << msg;
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(few_classes.output.run_dir) / "last.pt"));

  const std::string wide_val = (*dir_ / "val-40-classes.beton").string();
  write_labelled_file(wide_val, 40, 40);
  auto bad_val = tiny_config("run-val-classes");
  bad_val.data.val_path = wide_val;
  msg = training_error(bad_val);
  EXPECT_NE(msg.find("val-40-classes.beton"), std::string::npos) << msg;
  EXPECT_NE(msg.find("validation labels go up to 39"), std::string::npos) << msg;
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(bad_val.output.run_dir) / "metrics.jsonl"));

  auto big_batch = tiny_config("run-batch");
  big_batch.data.train.batch_size = 1000;  // 240 samples
  msg = training_error(big_batch);
  EXPECT_NE(msg.find("train.beton"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no full batch of 1000"), std::string::npos) << msg;
}

// Losses stay on the device between log steps; a non-finite one still ends the run with the
// diverged error (read when the window is logged) and leaves the last good checkpoint.
TEST_F(EndToEnd, ADivergedRunIsAnErrorAtTheNextLogStep) {
  auto c = tiny_config("run-diverge");
  c.optimizer.lr = 1e30;
  c.train.log_every = 3;
  const std::string msg = training_error(c);
  EXPECT_NE(msg.find("training diverged"), std::string::npos) << msg;
}

// Without validation data nothing claims an accuracy: no top-1 in the result or summary.json.
TEST_F(EndToEnd, ARunWithoutValidationDataReportsNoAccuracy) {
  auto c = tiny_config("run-no-val");
  c.data.val_path = "";
  c.schedule.epochs = 1;
  const auto result = run_training(c);
  EXPECT_FALSE(result.evaluated);
  EXPECT_FALSE(result.summary.contains("top1"));
  std::ifstream in(std::filesystem::path(c.output.run_dir) / "summary.json");
  EXPECT_FALSE(nlohmann::json::parse(in).contains("top1"));
}

TEST_F(EndToEnd, MissingDatasetIsAClearError) {
  auto c = tiny_config("run-missing");
  c.data.train.path = (*dir_ / "nope.beton").string();
  try {
    run_training(c);
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("nope.beton"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

// Every shipped recipe runs a couple of steps on generated data at a tiny resolution.
TEST_F(EndToEnd, EveryShippedConfigRunsAFewSteps) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(testing::source_dir() / "configs")) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    auto c = load_config(entry.path().string(), {});
    bool vit = c.model.arch.rfind("vit", 0) == 0;
    int64_t res = vit ? 224 : 32;  // torchvision's ViT-B/16 is fixed to 224 px
    c.data.train.path = (*dir_ / "train.beton").string();
    c.data.val_path = "";  // evaluation is covered elsewhere; here: every recipe's training step
    c.output.run_dir = (*dir_ / ("cfg-" + entry.path().stem().string())).string();
    c.data.train.batch_size = vit ? 2 : 4;
    c.data.global_batch_size = 0;  // a recipe's global batch (configs/rr) would override the tiny one
    c.train.resolution.min_res = c.train.resolution.max_res = c.validation.res = res;
    c.train.max_steps_per_epoch = 2;
    c.train.stop_after_epochs = 1;
    c.output.progress = false;
    c.data.train.threads = 2;
    auto result = run_training(c);
    EXPECT_EQ(result.steps, 2);
    EXPECT_TRUE(std::isfinite(result.epoch_train_loss.at(0)));
  }
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

// SIGTERM mid-epoch: the run writes a resumable checkpoint and exits non-zero; resuming finishes
// with exactly the weights of an uninterrupted run.
TEST_F(EndToEnd, SigtermMidEpochThenResumeEqualsAnUninterruptedRun) {
  const std::string exe = testing::fastimg_exe().string();
  auto args = [&](const std::string& run) {
    return fmt::format(
        "--set data.train={} --set model.arch=resnet_mini --set data.batch_size=8 --set data.threads=2 "
        "--set train.epochs=2 --set train.min_res=32 --set train.max_res=32 --set train.log_every=1 "
        "--set output.progress=false --set train.seed=5 --set output.run_dir={}",
        (*dir_ / "train.beton").string(), (*dir_ / run).string());
  };
  auto interrupted = testing::run_command(fmt::format(
      "{} train {} 2>&1 & pid=$!; for i in $(seq 1 1200); do grep -q '\"type\":\"train\"' {}/metrics.jsonl 2>/dev/null && "
      "break; sleep 0.05; done; kill -TERM $pid; wait $pid; echo \"rc=$?\"",
      exe, args("run-int"), (*dir_ / "run-int").string()));
  EXPECT_NE(interrupted.output.find("interrupted (signal 15)"), std::string::npos) << interrupted.output;
  EXPECT_NE(interrupted.output.find("rc=1"), std::string::npos) << interrupted.output;
  auto info = read_checkpoint_info((*dir_ / "run-int" / "last.pt").string());
  EXPECT_EQ(info.epoch, -1);  // stopped inside the first epoch
  EXPECT_GT(info.next_step, 0);

  auto resumed = testing::run_command(fmt::format("{} train {} --set output.resume=true", exe, args("run-int")));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  auto straight = testing::run_command(fmt::format("{} train {}", exe, args("run-straight-cli")));
  ASSERT_EQ(straight.exit_code, 0) << straight.output;

  TrainConfig c = tiny_config("unused");
  auto a = load_weights((*dir_ / "run-int" / "last.pt").string(), c);
  auto b = load_weights((*dir_ / "run-straight-cli" / "last.pt").string(), c);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "tensor " << i;
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

int count_lines(const std::filesystem::path& path) {
  std::ifstream f(path);
  int n = 0;
  for (std::string line; std::getline(f, line);) ++n;
  return n;
}

std::string cli_args(const std::filesystem::path& data, const std::filesystem::path& run, const std::string& extra) {
  return fmt::format(
      "--set data.train={} --set model.arch=resnet_mini --set data.batch_size=8 --set data.threads=2 "
      "--set train.epochs=2 --set train.min_res=32 --set train.max_res=32 --set train.log_every=2 "
      "--set output.progress=false --set train.seed=9 --set output.run_dir={} {}",
      data.string(), run.string(), extra);
}

void expect_same_weights(const std::filesystem::path& a, const std::filesystem::path& b, TrainConfig c) {
  auto x = load_weights(a.string(), c);
  auto y = load_weights(b.string(), c);
  ASSERT_EQ(x.size(), y.size());
  for (size_t i = 0; i < x.size(); ++i) EXPECT_TRUE(torch::equal(x[i], y[i])) << "tensor " << i;
}

// Periodic checkpoints, then kill -9 at five random moments, each time resumed with
// output.resume=auto: the final weights are bit-identical to the uninterrupted run's.
TEST_F(EndToEnd, KilledFiveTimesAndResumedEqualsAnUninterruptedRun) {
  const std::string exe = testing::fastimg_exe().string();
  const std::string periodic = "--set output.checkpoint_every_steps=3 --set output.keep_checkpoints=2";
  auto straight = testing::run_command(
      fmt::format("{} train {}", exe, cli_args(*dir_ / "train.beton", *dir_ / "soak-straight", periodic)));
  ASSERT_EQ(straight.exit_code, 0) << straight.output;
  std::random_device device;
  const unsigned seed = device();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> lines(1, 4);  // metrics lines (2 steps each) before the kill
  const auto run = *dir_ / "soak-killed";
  const std::string resume = periodic + " --set output.resume=auto";
  for (int kill = 0; kill < 5; ++kill) {
    // Kill once the run has logged a random number of new lines: a moment inside training.
    const int before = count_lines(run / "metrics.jsonl");
    auto r = testing::run_command(fmt::format(
        "{} train {} >/dev/null 2>&1 & pid=$!; for i in $(seq 1 2400); do [ $(cat {} 2>/dev/null | wc -l) -ge {} ] && "
        "break; sleep 0.01; done; kill -9 $pid; wait $pid; echo \"rc=$?\"",
        exe, cli_args(*dir_ / "train.beton", run, resume), (run / "metrics.jsonl").string(), before + lines(rng)));
    EXPECT_NE(r.output.find("rc=137"), std::string::npos) << "kill " << kill << " came too late: " << r.output;
  }
  auto finish = testing::run_command(fmt::format("{} train {}", exe, cli_args(*dir_ / "train.beton", run, resume)));
  ASSERT_EQ(finish.exit_code, 0) << finish.output << " (kill seed " << seed << ")";
  expect_same_weights(run / "last.pt", *dir_ / "soak-straight" / "last.pt", tiny_config("x"));
  // keep_checkpoints = 2: only the newest two periodic ones remain.
  int periodic_files = 0;
  for (const auto& e : std::filesystem::directory_iterator(run / "checkpoints"))
    periodic_files += e.path().extension() == ".pt";
  EXPECT_EQ(periodic_files, 2);
}

// A truncated newest checkpoint (last.pt) is skipped with a warning, the newest periodic one is
// used, and the run still ends with the uninterrupted run's weights.
TEST_F(EndToEnd, ADamagedNewestCheckpointIsSkippedWithAWarning) {
  const std::string exe = testing::fastimg_exe().string();
  const std::string periodic = "--set output.checkpoint_every_steps=4";
  const auto run = *dir_ / "damaged";
  auto first = testing::run_command(fmt::format("{} train {}", exe, cli_args(*dir_ / "train.beton", run, periodic)));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto last = run / "last.pt";
  const auto reference = *dir_ / "damaged-reference.pt";
  std::filesystem::copy_file(last, reference);
  std::filesystem::resize_file(last, std::filesystem::file_size(last) / 2);
  auto resumed = testing::run_command(
      fmt::format("{} train {} 2>&1", exe, cli_args(*dir_ / "train.beton", run, periodic + " --set output.resume=auto")));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("warning: skipping damaged checkpoint"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("last.pt"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming from"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("checkpoints/e00001-"), std::string::npos) << resumed.output;
  expect_same_weights(last, reference, tiny_config("x"));
  // output.resume = true names last.pt only: its damage is an error, not a silent fresh start.
  std::filesystem::resize_file(last, 100);
  auto strict = testing::run_command(
      fmt::format("{} train {} 2>&1", exe, cli_args(*dir_ / "train.beton", run, "--set output.resume=true")));
  EXPECT_NE(strict.exit_code, 0);
  EXPECT_NE(strict.output.find("last.pt"), std::string::npos) << strict.output;
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

// scripts/slurm/train.sbatch outside SLURM, with srun and scontrol stood in by scripts: the
// time-limit signal (USR1) makes the run checkpoint mid-epoch and the script requeue the job; the
// requeued run resumes and finishes with the uninterrupted run's weights.
TEST_F(EndToEnd, SlurmScriptCheckpointsAndRequeuesOnItsTimeLimitSignal) {
  const auto bin = *dir_ / "fake-slurm";
  std::filesystem::create_directories(bin);
  {
    std::ofstream srun(bin / "srun");
    srun << "#!/bin/sh\nwhile [ \"${1#--}\" != \"$1\" ]; do shift; done\nexec \"$@\"\n";
    std::ofstream scontrol(bin / "scontrol");
    scontrol << "#!/bin/sh\necho \"$@\" >> " << (bin / "scontrol.log").string() << "\n";
  }
  std::filesystem::permissions(bin / "srun", std::filesystem::perms::owner_all);
  std::filesystem::permissions(bin / "scontrol", std::filesystem::perms::owner_all);
  const std::string script = (testing::source_dir() / "scripts/slurm/train.sbatch").string();
  const auto run = *dir_ / "slurm";
  const std::string env = fmt::format("SLURM_JOB_ID=4242 FASTIMG={} PATH={}:$PATH", testing::fastimg_exe().string(), bin.string());
  auto first = testing::run_command(fmt::format(
      "{} bash {} {} 2>&1 & pid=$!; for i in $(seq 1 3000); do [ $(cat {} 2>/dev/null | wc -l) -ge 3 ] && break; "
      "sleep 0.01; done; kill -USR1 $pid; wait $pid; echo \"rc=$?\"",
      env, script, cli_args(*dir_ / "train.beton", run, ""), (run / "metrics.jsonl").string()));
  EXPECT_NE(first.output.find("requeueing job 4242"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("rc=0"), std::string::npos) << first.output;
  std::ifstream log(bin / "scontrol.log");
  std::string requeue;
  std::getline(log, requeue);
  EXPECT_EQ(requeue, "requeue 4242");
  const CheckpointInfo info = read_checkpoint_info((run / "last.pt").string());
  EXPECT_GT(info.next_step, 0);  // mid-epoch

  auto again = testing::run_command(fmt::format("{} bash {} {} 2>&1", env, script, cli_args(*dir_ / "train.beton", run, "")));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("resuming from"), std::string::npos) << again.output;
  auto straight = testing::run_command(
      fmt::format("{} train {}", testing::fastimg_exe().string(), cli_args(*dir_ / "train.beton", *dir_ / "slurm-straight", "")));
  ASSERT_EQ(straight.exit_code, 0) << straight.output;
  expect_same_weights(run / "last.pt", *dir_ / "slurm-straight" / "last.pt", tiny_config("x"));
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

// The reproduction project's own files on the command line (tests/train/data/reproduce_resnet):
// `fastimg train --config <its train TOML> --data-config <its data TOML>` trains a few steps, and
// the run's resolved config.toml holds the values those files give (docs/reference/reproduce-resnet.md).
TEST_F(EndToEnd, ReproduceResNetFilesTrainFromTheCommandLine) {
  const std::string exe = testing::fastimg_exe().string();
  const auto fixtures = testing::source_dir() / "tests/train/data/reproduce_resnet/config";
  const std::string data_config = (fixtures / "data" / "imagenet.toml").string();
  const struct {
    const char* name;
    const char* optimizer;
    double lr;
    BnRecalibration recalibration;
  } recipes[] = {{"resnet18-sgd", "sgd", 1.0, BnRecalibration::kFinal},
                 {"resnet50-sf-sgd", "sgd_schedule_free", 10.0, BnRecalibration::kEvery},
                 {"resnet18-sgd-sam-v1", "sam", 1.0, BnRecalibration::kFinal}};
  for (const auto& r : recipes) {
    SCOPED_TRACE(r.name);
    const std::string train_config = (fixtures / "train" / (std::string(r.name) + ".toml")).string();
    const auto run = *dir_ / (std::string("rr-cli-") + r.name);
    // The data config names ImageNet shards: the generated files and a small model stand in.
    const std::string cmd = fmt::format(
        "{} train --config {} --data-config {} --set data.train={} --set data.val={} --set model.arch=resnet_mini "
        "--set data.global_batch_size=8 --set data.threads=2 --set train.min_res=32 --set train.max_res=32 "
        "--set validation.res=32 --set validation.bn_recalibration_samples=16 --set train.max_steps_per_epoch=2 "
        "--set train.stop_after_epochs=1 --set train.log_every=1 --set output.progress=false "
        "--set train.device=cpu --set output.run_dir={} 2>&1",
        exe, train_config, data_config, (*dir_ / "train.beton").string(), (*dir_ / "val.beton").string(),
        run.string());
    const auto result = testing::run_command(cmd);
    ASSERT_EQ(result.exit_code, 0) << cmd << "\n" << result.output;
    EXPECT_TRUE(std::filesystem::exists(run / "last.pt"));
    EXPECT_TRUE(std::filesystem::exists(run / "summary.json"));
    // Values only the reference files set (the --set keys above aside), read back from the run.
    const TrainConfig c = load_config((run / "config.toml").string(), {});
    EXPECT_EQ(c.optimizer.name, r.optimizer);
    EXPECT_DOUBLE_EQ(c.optimizer.lr, r.lr);
    EXPECT_EQ(c.optimizer.no_decay_rule, "name");
    EXPECT_FALSE(c.optimizer.decay_bn_and_bias);
    EXPECT_EQ(c.augment.crop.attempts, 100);
    EXPECT_DOUBLE_EQ(c.augment.crop.scale_min, 0.1);
    EXPECT_DOUBLE_EQ(c.augment.crop.ratio_min, 0.8);
    EXPECT_DOUBLE_EQ(c.augment.crop.ratio_max, 1.25);
    EXPECT_EQ(c.validation.augment.mode, augment::CenterCropMode::kResizeThenCrop);
    EXPECT_DOUBLE_EQ(c.validation.augment.crop_ratio, 1.0);
    EXPECT_EQ(c.validation.bn_recalibration, r.recalibration);
    EXPECT_EQ(c.train.precision, Precision::kFp16);
    EXPECT_EQ(c.model.options.num_classes, 1000);
    EXPECT_EQ(c.epochs(), 90);
  }
  // The train file alone is refused, saying what is missing.
  const std::string train_only = (fixtures / "train" / "resnet50-sgd.toml").string();
  const auto alone = testing::run_command(fmt::format("{} train --config {} --print-config 2>&1", exe, train_only));
  EXPECT_NE(alone.exit_code, 0);
  EXPECT_NE(alone.output.find("--data-config"), std::string::npos) << alone.output;
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

// The generated task: every shape and every texture is in exactly two classes (neither cue alone
// names the class), and each image is a pure function of its arguments.
TEST(SyntheticShapes, ClassesAreShapeAndTextureConjunctionsAndImagesAreDeterministic) {
  std::map<std::string, int> shapes, textures;
  std::set<std::string> names;
  for (int label = 0; label < kSyntheticClasses; ++label) {
    const std::string name = synthetic_class_name(label);
    names.insert(name);
    const size_t cut = name.find('_');
    ASSERT_NE(cut, std::string::npos) << name;
    ++shapes[name.substr(0, cut)];
    ++textures[name.substr(cut + 1)];
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kSyntheticClasses));
  EXPECT_EQ(shapes.size(), 5u);
  EXPECT_EQ(textures.size(), 5u);
  for (const auto& [shape, n] : shapes) EXPECT_EQ(n, 2) << shape;
  for (const auto& [texture, n] : textures) EXPECT_EQ(n, 2) << texture;

  const codec::Image a = draw_synthetic_image(7, 3, 11), b = draw_synthetic_image(7, 3, 11);
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_NE(draw_synthetic_image(7, 3, 11, 1.0).pixels, a.pixels);  // the difficulty changes the picture
  EXPECT_THROW(draw_synthetic_image(7, 3, 11, 1.5), std::exception);
}

// `fastimg demo` in miniature (a few steps; the real one trains 14 epochs): it trains, evaluates,
// writes the accuracy-vs-time plot into the run directory and says where it is.
TEST(Demo, WritesTheAccuracyVersusTimePlotIntoTheRunDirectoryAndSaysWhere) {
  testing::TempDir dir;
  const auto demo_dir = dir / "demo";
  // 13 images per class: two batches of 64 per epoch; 3 epochs evaluate twice (epochs 2 and 3).
  const auto result = testing::run_command(fmt::format(
      "{} demo --dir {} --epochs 3 --train-per-class 13 --val-per-class 4 --seed 1 2>&1",
      testing::fastimg_exe().string(), demo_dir.string()));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto plot = demo_dir / "run" / "accuracy.svg";
  EXPECT_NE(result.output.find("validation top-1"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("accuracy-vs-time plot"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(plot.string()), std::string::npos) << result.output;

  DemoOptions options;
  options.dir = demo_dir.string();
  EXPECT_EQ(demo_plot_path(options), plot.string());
  ASSERT_TRUE(std::filesystem::exists(plot));
  std::ifstream in(plot);
  const std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << svg.substr(0, 200);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("wall time"), std::string::npos);
  EXPECT_NE(svg.find("top-1"), std::string::npos);
  // The curve: one polyline through one marker per evaluation.
  const size_t polyline = svg.find("<polyline points=\"");
  ASSERT_NE(polyline, std::string::npos);
  const size_t begin = polyline + std::string("<polyline points=\"").size();
  const std::string points = svg.substr(begin, svg.find('"', begin) - begin);
  EXPECT_EQ(std::count(points.begin(), points.end(), ','), 2) << points;
  size_t markers = 0;
  for (size_t at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1)) ++markers;
  EXPECT_EQ(markers, 2u);

  // The plotted curve is the run's accuracy: its last point is the final top-1, a percentage.
  PlotOptions read;
  read.run_dirs = {(demo_dir / "run").string()};
  read.x = "time";
  const auto series = collect_series(read);
  ASSERT_EQ(series.size(), 1u);
  ASSERT_EQ(series[0].mean.size(), 2u);
  EXPECT_LT(series[0].x[0], series[0].x[1]);  // wall time grows
  std::ifstream summary_file(demo_dir / "run" / "summary.json");
  const auto summary = nlohmann::json::parse(summary_file);
  ASSERT_TRUE(summary.contains("top1"));
  EXPECT_NEAR(series[0].mean.back(), 100 * summary["top1"].get<double>(), 1e-6);
  EXPECT_GE(series[0].mean.back(), 0.0);
  EXPECT_LE(series[0].mean.back(), 100.0);
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

// The real demo (default settings, about a minute here): it learns far above chance (10 %) and
// does not saturate, which is the point of the generated task's difficulty.
TEST(Demo, TheDefaultDemoLearnsWellAboveChanceWithoutSaturating) {
  testing::TempDir dir;
  DemoOptions options;
  options.dir = (dir / "demo").string();
  options.progress = false;
  const DemoResult result = run_demo(options);
  ASSERT_TRUE(result.train.evaluated);
  const double top1 = result.train.final_eval.top1;
  EXPECT_GT(top1, 0.40) << "the demo no longer learns";
  EXPECT_LT(top1, 0.95) << "the demo saturates again";
  EXPECT_TRUE(std::filesystem::exists(result.plot)) << result.plot;
}

}  // namespace
}  // namespace fastimg::train
