// Checkpoints on a full disk: the write fails with a clear error, the previous checkpoint is
// untouched and no partial file is left. The disk is "full" through RLIMIT_FSIZE, which makes
// write() fail (EFBIG) at a chosen size exactly like ENOSPC does on a full file system.
#include "train/checkpoint.h"
#include "util/zip_check.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "models/registry.h"
#include "optim/optimizer.h"
#include "test_support.h"
#include "util/error.h"

namespace fastimg::train {
namespace {

std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Limits the size of any file this process writes, and restores the limit on exit.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);  // write() then fails with EFBIG instead of a signal
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_handler_);
  }

 private:
  rlimit saved_{};
  void (*previous_handler_)(int) = nullptr;
};

TEST(Checkpoint, AFullDiskLeavesThePreviousCheckpointIntactAndNoPartialFile) {
  testing::TempDir dir;
  models::ModelOptions mo;
  mo.num_classes = 10;
  auto model = models::make_model("resnet_mini", mo);
  optim::OptimizerOptions oo;
  auto optimizer = optim::make_optimizer(oo, *model);
  const auto path = dir / "last.pt";
  save_checkpoint(path.string(), *model, optimizer.get(), {1, "arch = 'resnet_mini'", 0, 0.5, {}, 0});
  const std::string good = read_bytes(path);
  ASSERT_GT(good.size(), 10000u);

  // The next epoch's weights do not fit: half the file's size is all the "disk" takes.
  torch::NoGradGuard no_grad;
  for (auto& p : model->parameters()) p.add_(1.0);
  std::string message;
  {
    FileSizeLimit full(good.size() / 2);
    try {
      save_checkpoint(path.string(), *model, optimizer.get(), {2, "arch = 'resnet_mini'", 0, 0.6, {}, 0});
    } catch (const Error& e) {
      message = e.what();
    }
  }
  EXPECT_NE(message.find("last.pt: cannot write checkpoint: File too large"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
  EXPECT_EQ(read_bytes(path), good) << "the previous checkpoint changed";
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename(), "last.pt") << "left behind: " << e.path();
  EXPECT_EQ(read_checkpoint_info(path.string()).epoch, 1);

  // With room again the same call succeeds and replaces it.
  save_checkpoint(path.string(), *model, optimizer.get(), {2, "arch = 'resnet_mini'", 0, 0.6, {}, 0});
  EXPECT_EQ(read_checkpoint_info(path.string()).epoch, 2);
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

// Bytes flipped inside a checkpoint (not only a cut) are found before anything loads: LibTorch's
// own reader would hand back the damaged weights.
TEST(Checkpoint, CorruptedBytesAreAOneLineErrorNotGarbageWeights) {
  testing::TempDir dir;
  auto model = models::make_model("resnet_mini", {.num_classes = 10});
  optim::OptimizerOptions oo;
  oo.momentum = 0.9;
  auto optimizer = optim::make_optimizer(oo, *model);
  const auto path = (dir / "last.pt").string();
  save_checkpoint(path, *model, optimizer.get(), {1, "arch = 'resnet_mini'", 0, 0.5, {}, 8});
  EXPECT_EQ(zip_integrity_problem(path), "");
  EXPECT_EQ(read_checkpoint_info(path).global_batch, 8);
  std::string bytes = read_bytes(path);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 64; ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  try {
    load_checkpoint(path, *model, optimizer.get());
    ADD_FAILURE() << "a corrupted checkpoint loaded";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("damaged checkpoint: record"), std::string::npos) << m;
    EXPECT_NE(m.find("CRC-32"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 3);
  EXPECT_NE(zip_integrity_problem(path).find("end-of-directory"), std::string::npos) << zip_integrity_problem(path);
}

}  // namespace
}  // namespace fastimg::train
