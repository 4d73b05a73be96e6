// Checkpoints on a full disk: the write fails with a clear error, the previous checkpoint is
// untouched and no partial file is left. The disk is "full" through RLIMIT_FSIZE, which makes
// write() fail (EFBIG) at a chosen size exactly like ENOSPC does on a full file system.
#include "train/checkpoint.h"

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
