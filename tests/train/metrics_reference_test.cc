// Top-k counting, flip averaging and the label-smoothed loss against PyTorch on fixed tensors.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <sstream>

#include "optim/loss.h"
#include "test_support.h"
#include "train/evaluate.h"

namespace fastimg::train {
namespace {

TEST(EvaluationMetrics, TopKFlipAverageAndSmoothedLossMatchPyTorch) {
  torch::manual_seed(11);
  const int64_t n = 257, classes = 37;
  auto logits = torch::randn({n, classes});
  auto flipped = torch::randn({n, classes});
  auto labels = torch::randint(0, classes, {n}, torch::kLong);
  // Ties at the top-5 boundary would make the comparison depend on tie-breaking: none here.
  testing::TempDir dir;
  auto path = (dir / "tensors.pt").string();
  {
    auto bytes = torch::pickle_save(c10::IValue(c10::List<torch::Tensor>({logits, flipped, labels})));
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  auto ref = testing::run_python("metrics_reference.py", path);
  ASSERT_EQ(ref.exit_code, 0) << ref.output;
  std::istringstream in(ref.output.substr(ref.output.rfind('\n', ref.output.size() - 2) + 1));
  int64_t ref_top1 = 0, ref_top5 = 0;
  double ref_loss = 0;
  in >> ref_top1 >> ref_top5 >> ref_loss;

  auto averaged = 0.5 * (logits + flipped);  // what evaluate() does with tta_flip
  auto [top1, top5] = count_correct(averaged, labels);
  EXPECT_EQ(top1, ref_top1);
  EXPECT_EQ(top5, ref_top5);
  EXPECT_GT(top5, top1);
  double loss = optim::label_smoothing_cross_entropy(averaged, labels, 0.1).item<double>();
  EXPECT_NEAR(loss, ref_loss, 1e-6 * std::abs(ref_loss));
}

}  // namespace
}  // namespace fastimg::train
