// ResNets against torchvision (same weights -> same outputs and gradients), BlurPool against an
// FFCV-style reference, channels-last, zero-init.
#include "models/resnet.h"

#include <gtest/gtest.h>

#include "models/blurpool.h"
#include "models/registry.h"
#include "reference_check.h"

namespace fastimg::models {
namespace {

using testing::expect_matches_torchvision;
using testing::ReferenceCase;

// Batch 2 at 64 px: the last stage still sees 2x2 maps, so train-mode BN statistics (8 values per
// channel) are well conditioned. Each case is checked contiguous and channels-last.
TEST(ResNet, Resnet18MatchesTorchvision) { expect_matches_torchvision({.model = "resnet18"}); }

TEST(ResNet, Resnet50MatchesTorchvision) { expect_matches_torchvision({.model = "resnet50"}); }

TEST(ResNet, BlurPoolResnet18MatchesFfcvStyleReference) {
  expect_matches_torchvision({.model = "resnet18", .blurpool = true});
}

TEST(ResNet, BlurPoolAddsBuffersOnlyInFrontOfStridedConvsWithAtLeast16Channels) {
  auto plain = make_model("resnet50", {});
  auto blurred = make_model("resnet50", {.blurpool = true});
  EXPECT_EQ(count_parameters(*plain), count_parameters(*blurred));
  std::vector<std::string> blurs;
  for (auto& item : blurred->named_buffers())
    if (item.key().find("blur_filter") != std::string::npos) blurs.push_back(item.key());
  // Stride-2 3x3 conv and downsample conv of the first block of stages 2-4; never the stem.
  std::vector<std::string> expected = {"layer2.0.conv2.blur_filter", "layer2.0.downsample.0.blur_filter",
                                       "layer3.0.conv2.blur_filter", "layer3.0.downsample.0.blur_filter",
                                       "layer4.0.conv2.blur_filter", "layer4.0.downsample.0.blur_filter"};
  EXPECT_EQ(blurs, expected);
  auto filter = blurred->named_buffers()["layer2.0.conv2.blur_filter"];
  EXPECT_EQ(filter.sizes(), (std::vector<int64_t>{128, 1, 3, 3}));
  EXPECT_FLOAT_EQ(filter[5][0][1][1].item<float>(), 4.0f / 16);
  EXPECT_FLOAT_EQ(filter.sum().item<float>(), 128.0f);
  for (auto& p : blurred->named_parameters()) EXPECT_EQ(p.key().find("blur"), std::string::npos);
}

TEST(ResNet, ZeroInitResidualZeroesTheLastBnOfEachBlock) {
  for (std::string name : {"resnet18", "resnet50"}) {
    auto model = make_model(name, {.zero_init_residual = true});
    const std::string last = name == "resnet18" ? "bn2" : "bn3";
    int zeroed = 0;
    for (auto& p : model->named_parameters()) {
      const auto& key = p.key();
      if (key.find("layer") != 0 || key.find(".weight") == std::string::npos) continue;
      const bool is_last_bn = key.find("." + last + ".weight") != std::string::npos;
      if (is_last_bn) {
        EXPECT_EQ(p.value().abs().sum().item<float>(), 0.0f) << key;
        ++zeroed;
      } else if (key.find(".bn") != std::string::npos) {
        EXPECT_EQ(p.value().min().item<float>(), 1.0f) << key;
      }
    }
    EXPECT_EQ(zeroed, name == "resnet18" ? 8 : 16) << name;
  }
}

TEST(ResNet, ConvInitIsKaimingNormalFanOut) {
  torch::manual_seed(0);
  auto model = make_model("resnet50", {});
  auto w = model->named_parameters()["layer3.0.conv2.weight"];  // 256 out, 3x3: std sqrt(2/2304)
  EXPECT_NEAR(w.std().item<double>(), std::sqrt(2.0 / (256 * 9)), 0.002);
  EXPECT_NEAR(w.mean().item<double>(), 0.0, 0.001);
}

TEST(ResNet, MiniTrainsOnOneBatchInChannelsLast) {
  torch::manual_seed(0);
  auto model = make_model("resnet_mini", {.num_classes = 10, .blurpool = true});
  to_channels_last(*model);
  auto x = torch::randn({8, 3, 32, 32}).contiguous(torch::MemoryFormat::ChannelsLast);
  auto y = torch::randint(0, 10, {8});
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  double first = 0, last = 0;
  for (int step = 0; step < 10; ++step) {
    sgd.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    sgd.step();
    (step == 0 ? first : last) = loss.item<double>();
  }
  EXPECT_LT(last, first * 0.5);
}

}  // namespace
}  // namespace fastimg::models
