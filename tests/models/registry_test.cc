// Registry by name, parameter counts, FLOP counts and exchanging weights with PyTorch files.
#include "models/registry.h"

#include <gtest/gtest.h>

#include <fstream>

#include "models/torchvision_weights.h"
#include "test_support.h"
#include "util/error.h"

namespace fastimg::models {
namespace {

TEST(Registry, ListsAllModels) {
  std::vector<std::string> expected = {"resnet18", "resnet50", "resnet_mini", "vgg16", "vgg16_bn", "vit_b_16"};
  EXPECT_EQ(model_names(), expected);
}

TEST(Registry, UnknownNameErrorListsKnownModels) {
  try {
    make_model("resnet19", {});
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("resnet19"), std::string::npos) << what;
    EXPECT_NE(what.find("resnet18, resnet50, resnet_mini, vgg16, vgg16_bn, vit_b_16"), std::string::npos) << what;
  }
  EXPECT_THROW(forward_gflops("alexnet", 224), Error);
  EXPECT_THROW(make_model("vgg16", {.blurpool = true}), Error);
}

TEST(Registry, ResnetParameterCountsEqualTorchvision) {
  auto resnet18 = make_model("resnet18", {});
  auto resnet50 = make_model("resnet50", {});
  EXPECT_EQ(count_parameters(*resnet18), 11'689'512);
  EXPECT_EQ(count_parameters(*resnet50), 25'557'032);
  EXPECT_EQ(count_parameters(*make_model("resnet50", {.num_classes = 10})), 25'557'032 - 2048 * 990 - 990);
}

TEST(Registry, ResnetMiniIsSmall) {
  auto mini = make_model("resnet_mini", {.num_classes = 10});
  // stem 3*16*49 + BN; stages of one BasicBlock at 16/32/64/128 with 1x1 shortcuts from stage 2; fc.
  int64_t expected = 3 * 16 * 49 + 32;
  int64_t in = 16;
  for (int64_t w : {16, 32, 64, 128}) {
    expected += in * w * 9 + w * w * 9 + 4 * w;
    if (in != w) expected += in * w + 2 * w;
    in = w;
  }
  expected += 128 * 10 + 10;
  EXPECT_EQ(count_parameters(*mini), expected);
  auto logits = mini->forward(torch::randn({2, 3, 64, 64}));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 10}));
}

TEST(Registry, ForwardGflopsEqualTorchvisionsPublishedFigures) {
  // torchvision's model cards (GFLOPS at 224 px).
  EXPECT_NEAR(forward_gflops("resnet18", 224), 1.81, 0.005);
  EXPECT_NEAR(forward_gflops("resnet50", 224), 4.09, 0.005);
  EXPECT_NEAR(forward_gflops("vgg16", 224), 15.47, 0.005);
  EXPECT_NEAR(forward_gflops("vgg16_bn", 224), 15.47, 0.005);
  EXPECT_NEAR(forward_gflops("vit_b_16", 224), 17.56, 0.005);
  // Conv cost scales with the pixel count.
  EXPECT_NEAR(forward_gflops("resnet50", 160) / forward_gflops("resnet50", 224), 160.0 * 160 / (224 * 224), 0.01);
}

TEST(TorchvisionWeights, SaveThenLoadRoundTrips) {
  fastimg::testing::TempDir dir;
  torch::manual_seed(1);
  auto a = make_model("resnet_mini", {.blurpool = true});
  torch::manual_seed(2);
  auto b = make_model("resnet_mini", {.blurpool = true});
  auto path = (dir / "mini.pt").string();
  save_torchvision_state_dict(*a, path);
  load_torchvision_state_dict(*b, path);
  auto pa = a->named_parameters();
  for (auto& p : b->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), pa[p.key()])) << p.key();
}

TEST(TorchvisionWeights, BlurFiltersMayBeAbsentFromTheFile) {
  fastimg::testing::TempDir dir;
  auto path = (dir / "plain.pt").string();
  save_torchvision_state_dict(*make_model("resnet_mini", {}), path);
  auto blurred = make_model("resnet_mini", {.blurpool = true});
  EXPECT_NO_THROW(load_torchvision_state_dict(*blurred, path));
}

std::string load_error(torch::nn::Module& model, const std::string& path) {
  try {
    load_torchvision_state_dict(model, path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(TorchvisionWeights, MissingUnexpectedAndMisshapenKeysAreNamed) {
  fastimg::testing::TempDir dir;
  auto path = (dir / "mini.pt").string();
  auto model = make_model("resnet_mini", {});
  save_torchvision_state_dict(*model, path);

  auto bigger = make_model("resnet_mini", {.num_classes = 10});
  auto error = load_error(*bigger, path);
  EXPECT_NE(error.find("fc.weight (file [1000, 128], model [10, 128])"), std::string::npos) << error;

  auto with_extra = make_model("resnet18", {});
  error = load_error(*with_extra, path);
  EXPECT_NE(error.find("missing"), std::string::npos) << error;
  EXPECT_NE(error.find("layer1.1.bn1.bias"), std::string::npos) << error;

  auto tensors = load_tensor_dict(path);
  c10::Dict<std::string, torch::Tensor> dict;
  for (auto& [k, v] : tensors) dict.insert(k, v);
  dict.insert("extra.weight", torch::zeros({1}));
  auto bytes = torch::pickle_save(dict);
  std::ofstream((dir / "extra.pt"), std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  error = load_error(*model, (dir / "extra.pt").string());
  EXPECT_NE(error.find("1 keys are not in the model: extra.weight"), std::string::npos) << error;

  EXPECT_NE(load_error(*model, (dir / "nope.pt").string()).find("cannot open"), std::string::npos);
  std::ofstream(dir / "junk.pt") << "not a pickle";
  EXPECT_NE(load_error(*model, (dir / "junk.pt").string()).find("not a torch.save file"), std::string::npos);
}

}  // namespace
}  // namespace fastimg::models
