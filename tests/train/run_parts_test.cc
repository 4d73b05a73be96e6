// The trainer's parts on their own: the metrics writer and the setup shared with `fastimg eval`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "test_support.h"
#include "train/run_metrics.h"
#include "train/run_report.h"
#include "train/run_setup.h"
#include "train/trainer.h"
#include "util/error.h"

namespace fastimg::train {
namespace {

// One training record reaches metrics.jsonl and TensorBoard with images/s computed once from the
// same figures; an evaluation record too; a non-main rank writes nothing.
TEST(RunMetrics, OneRecordGoesToTheJsonlFileAndTensorBoard) {
  testing::TempDir dir;
  {
    RunMetrics metrics(dir.path().string(), /*main_rank=*/true, /*append=*/false);
    Progress progress("test", 10, "img", /*enabled=*/false);
    metrics.train({.epoch = 0, .step = 4, .global_step = 4, .loss = 1.5, .lr = 0.25, .resolution = 64,
                   .epoch_images = 512, .epoch_seconds = 2.0},
                  progress);
    EvalResult eval;
    eval.top1 = 0.5, eval.top5 = 0.75, eval.samples = 8;
    metrics.eval(eval, 0, 4, 3.0);
  }
  std::ifstream in(dir / "metrics.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  const auto train = nlohmann::json::parse(line);
  EXPECT_EQ(train["type"], "train");
  EXPECT_DOUBLE_EQ(train["images_per_s"].get<double>(), 256.0);
  EXPECT_DOUBLE_EQ(train["loss"].get<double>(), 1.5);
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(line)["top1"].get<double>(), 0.5);
  auto read = testing::run_python("tensorboard_read.py", dir.path().string());
  ASSERT_EQ(read.exit_code, 0) << read.output;
  EXPECT_NE(read.output.find("train/images_per_s,4,256.0"), std::string::npos) << read.output;
  EXPECT_NE(read.output.find("val/top1,4,0.5"), std::string::npos) << read.output;

  testing::TempDir other;
  RunMetrics silent(other.path().string(), /*main_rank=*/false, false);
  EXPECT_FALSE(std::filesystem::exists(other / "metrics.jsonl"));
}

TEST(RunSetup, LoaderThreadsShareTheCoresBetweenTheProcessesOfANode) {
  TrainConfig c;
  dist::DistEnv env;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(loader_threads(c, env), cores);
  env.local_world_size = 8 * cores;
  EXPECT_EQ(loader_threads(c, env), 1);  // never zero
  c.data.train.threads = 3;
  EXPECT_EQ(loader_threads(c, env), 3);  // an explicit data.threads wins
}

TEST(RunSetup, TheCpuIsPickedWhenAskedOrWhenThereIsNoGpu) {
  EXPECT_TRUE(pick_device(DeviceChoice::kCpu, 3).is_cpu());
  if (!torch::cuda::is_available()) {
    EXPECT_TRUE(pick_device(DeviceChoice::kAuto, 0).is_cpu());
    EXPECT_THROW(pick_device(DeviceChoice::kCuda, 0), Error);
  } else {
    // LOCAL_RANK beyond the visible devices wraps around (one visible GPU per task under srun).
    const auto n = static_cast<int>(torch::cuda::device_count());
    EXPECT_EQ(pick_device(DeviceChoice::kCuda, n + 1).index(), (n + 1) % n);
  }
}

TEST(RunSetup, LoaderOptionsComeFromTheConfig) {
  TrainConfig c;
  c.data.train.path = "t.beton";
  c.data.val_batch_size = 7;
  c.validation.res = 99;
  c.augment.flip_probability = 0;
  RunContext run;
  run.pg = std::make_unique<dist::ProcessGroup>(run.env);
  const auto train = train_loader_options(c, run);
  EXPECT_EQ(train.path, "t.beton");
  EXPECT_TRUE(train.drop_last);
  EXPECT_EQ(train.resolution, c.train.resolution.min_res);
  const auto val = val_loader_options(c, run, "v.beton");
  EXPECT_EQ(val.path, "v.beton");
  EXPECT_EQ(val.batch_size, 7);
  EXPECT_EQ(val.resolution, 99);
  EXPECT_EQ(val.order, loader::OrderKind::kSequential);
  EXPECT_FALSE(val.drop_last);
  ASSERT_EQ(val.transforms.size(), 1u);
  EXPECT_EQ(val.transforms[0]->name(), "center_crop");
  ASSERT_EQ(train.transforms.size(), 2u);
  EXPECT_EQ(train.transforms[0]->name(), "random_resized_crop");
}

// A GPU machine with a CPU-only binary must not train on the CPU without a word. The driver's
// directory is injected, so the check runs here without a GPU.
TEST(RunReport, AutoDeviceWithAVisibleGpuButNoCudaBuildIsAnErrorSayingHowToBuild) {
  testing::TempDir driver;
  EXPECT_FALSE(nvidia_gpu_visible((driver / "gpus").string()));  // no driver at all
  std::filesystem::create_directories(driver / "gpus");
  EXPECT_FALSE(nvidia_gpu_visible((driver / "gpus").string()));  // a driver without GPUs
  std::filesystem::create_directories(driver / "gpus" / "0000:65:00.0");
  EXPECT_TRUE(nvidia_gpu_visible((driver / "gpus").string()));
  try {
    check_cuda_build(DeviceChoice::kAuto, /*cuda_build=*/false, /*gpu_visible=*/true);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("FASTIMG_CUDA=ON"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("train.device"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_cuda_build(DeviceChoice::kCuda, false, true), Error);
  EXPECT_NO_THROW(check_cuda_build(DeviceChoice::kCpu, false, true));   // asked for the CPU
  EXPECT_NO_THROW(check_cuda_build(DeviceChoice::kAuto, true, true));   // the CUDA binary
  EXPECT_NO_THROW(check_cuda_build(DeviceChoice::kAuto, false, false)); // no GPU here
}

TEST(RunReport, TheStartLineSaysWhatRuns) {
  TrainConfig c;
  c.train.precision = Precision::kBf16;
  c.train.channels_last = true;
  const std::string line = start_line(c, torch::kCPU, 3, 5);
  for (const char* part : {"device cpu (", "precision bf16", "channels-last on", "5 threads", "CUDA graphs off",
                           "world size 3", built_with_cuda() ? "build CUDA" : "build CPU-only"})
    EXPECT_NE(line.find(part), std::string::npos) << part << " in " << line;
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

// A training config whose data does not exist: a GPU-setting error must come before the loader
// would report the missing file.
std::string first_error(const std::vector<std::string>& overrides) {
  testing::TempDir dir;
  std::vector<std::string> all = {"data.train=" + (dir / "missing.beton").string(), "train.device=cpu",
                                  "output.run_dir=" + (dir / "run").string(), "output.progress=false"};
  all.insert(all.end(), overrides.begin(), overrides.end());
  try {
    run_training(load_config("", all));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(GpuSettings, DecodeGpuOnTheCpuIsAOneLineErrorBeforeAnyWork) {
  const std::string e = first_error({"data.decode=gpu"});
  EXPECT_NE(e.find("data.decode = \"gpu\" needs a CUDA device"), std::string::npos) << e;
  EXPECT_EQ(e.find("missing.beton"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

TEST(GpuSettings, CudaGraphsOnTheCpuIsAOneLineErrorBeforeAnyWork) {
  const std::string e = first_error({"train.cuda_graphs=true"});
  EXPECT_NE(e.find("train.cuda_graphs = true cannot be used here"), std::string::npos) << e;
  EXPECT_EQ(e.find("missing.beton"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

TEST(GpuSettings, AutoDecodesOnTheCpuWithoutAGpuAndTheStartLineSaysSo) {
  TrainConfig c;
  c.data.train.decode = loader::DecodeBackend::kAuto;
  EXPECT_EQ(resolve_decode(c, torch::kCPU), loader::DecodeBackend::kCpu);
  EXPECT_NE(start_line(c, torch::kCPU, 1, 2).find("decode cpu"), std::string::npos);
  // Without a missing file the plain CPU settings get past the GPU checks to the loader's error.
  EXPECT_NE(first_error({"data.decode=auto"}).find("missing.beton"), std::string::npos);
}

TEST(GpuSettings, ValidationAlwaysDecodesOnTheLoaderThreads) {
  TrainConfig c;
  c.data.train.decode = loader::DecodeBackend::kCpu;
  RunContext run;
  run.pg = std::make_unique<dist::ProcessGroup>(run.env);
  EXPECT_EQ(val_loader_options(c, run, "v.beton").decode, loader::DecodeBackend::kCpu);
}

}  // namespace
}  // namespace fastimg::train
