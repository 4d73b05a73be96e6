#include "train/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_support.h"
#include "util/error.h"

namespace fastimg::train {
namespace {

std::string write_text(const testing::TempDir& dir, const std::string& name, const std::string& text) {
  auto path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

TEST(TrainConfig, ReadsTomlSectionsIntoDottedKeys) {
  testing::TempDir dir;
  auto path = write_text(dir, "c.toml",
                         "[data]\ntrain = \"a.beton\"\nbatch_size = 32\n[optimizer]\nlr = 2\nnesterov = true\n"
                         "[schedule]\nmilestones = [30, 60.5]\n");
  auto c = load_config(path, {});
  EXPECT_EQ(c.train_path, "a.beton");
  EXPECT_EQ(c.batch_size, 32);
  EXPECT_DOUBLE_EQ(c.lr, 2.0);  // an integer is accepted for a float key
  EXPECT_TRUE(c.nesterov);
  EXPECT_EQ(c.milestones, (std::vector<double>{30, 60.5}));
}

TEST(TrainConfig, OverridesWinOverTheFile) {
  testing::TempDir dir;
  auto path = write_text(dir, "c.toml", "[optimizer]\nlr = 0.1\n");
  auto c = load_config(path, {"optimizer.lr=0.25", "data.train=x.beton", "model.arch=\"resnet50\"", "train.seed=7"});
  EXPECT_DOUBLE_EQ(c.lr, 0.25);
  EXPECT_EQ(c.train_path, "x.beton");
  EXPECT_EQ(c.arch, "resnet50");
  EXPECT_EQ(c.seed, 7u);
}

TEST(TrainConfig, UnknownKeyIsAnErrorNamingKeyAndFile) {
  testing::TempDir dir;
  auto path = write_text(dir, "c.toml", "[optimizer]\nlearning_rate = 0.1\n");
  try {
    load_config(path, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("optimizer.learning_rate"), std::string::npos) << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
  }
  EXPECT_THROW(load_config("", {"optimizer.lrr=1"}), Error);
}

TEST(TrainConfig, WrongTypeIsAnError) {
  testing::TempDir dir;
  auto path = write_text(dir, "c.toml", "[data]\nbatch_size = \"big\"\n");
  EXPECT_THROW(load_config(path, {}), Error);
  EXPECT_THROW(load_config("", {"data.batch_size=1.5"}), Error);
  EXPECT_THROW(load_config("", {"train.channels_last=maybe"}), Error);
  EXPECT_THROW(load_config("", {"no_equals_sign"}), Error);
}

TEST(TrainConfig, SyntaxErrorNamesFileAndLine) {
  testing::TempDir dir;
  auto path = write_text(dir, "c.toml", "[data]\ntrain = \n");
  try {
    load_config(path, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":2"), std::string::npos) << e.what();
  }
}

TEST(TrainConfig, ResolvedTomlRoundTrips) {
  auto c = load_config("", {"optimizer.lr=0.125", "data.train=t.beton", "schedule.milestones=[1,2]",
                            "train.channels_last=true", "optimizer.weight_decay=3.0517578125e-05"});
  testing::TempDir dir;
  auto path = write_text(dir, "resolved.toml", to_toml(c));
  auto back = load_config(path, {});
  EXPECT_EQ(to_toml(back), to_toml(c));
  EXPECT_DOUBLE_EQ(back.weight_decay, 3.0517578125e-05);
  EXPECT_TRUE(back.channels_last);
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

TEST(ShippedConfigs, EveryConfigFileParses) {
  int count = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(testing::source_dir() / "configs")) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    auto c = load_config(entry.path().string(), {});
    EXPECT_GT(c.epochs, 0);
    EXPECT_FALSE(c.arch.empty());
    ++count;
  }
  EXPECT_GE(count, 12);
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

// The twelve FFCV recipes written in FFCV's own YAML layout load unchanged and agree with the
// TOML recipes shipped in configs/ffcv/.
TEST(FfcvYaml, TwelveRecipesMatchTheShippedTomlConfigs) {
  int count = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::source_dir() / "tests/train/data/ffcv_yaml")) {
    SCOPED_TRACE(entry.path().string());
    auto yaml = load_config(entry.path().string(), {});
    auto toml = load_config((testing::source_dir() / "configs/ffcv" / (entry.path().stem().string() + ".toml")).string(), {});
    EXPECT_EQ(yaml.arch, toml.arch);
    EXPECT_DOUBLE_EQ(yaml.lr, toml.lr);
    EXPECT_DOUBLE_EQ(yaml.weight_decay, toml.weight_decay);
    EXPECT_DOUBLE_EQ(yaml.momentum, toml.momentum);
    EXPECT_DOUBLE_EQ(yaml.label_smoothing, toml.label_smoothing);
    EXPECT_EQ(yaml.batch_size, toml.batch_size);
    EXPECT_EQ(yaml.epochs, toml.epochs);
    EXPECT_EQ(yaml.start_ramp, toml.start_ramp);
    EXPECT_EQ(yaml.end_ramp, toml.end_ramp);
    EXPECT_EQ(yaml.min_res, toml.min_res);
    EXPECT_EQ(yaml.max_res, toml.max_res);
    EXPECT_EQ(yaml.val_res, toml.val_res);
    EXPECT_EQ(yaml.blurpool, toml.blurpool);
    EXPECT_EQ(yaml.tta_flip, toml.tta_flip);
    EXPECT_EQ(yaml.decay_bn_and_bias, toml.decay_bn_and_bias);
    EXPECT_EQ(yaml.schedule, "triangular");
    EXPECT_EQ(yaml.train_path, "/data/imagenet/train_500_0.50_90.ffcv");
    EXPECT_EQ(yaml.threads, 12);
    ++count;
  }
  EXPECT_EQ(count, 12);
}

TEST(FfcvYaml, UnknownKeyIsRejectedByName) {
  testing::TempDir dir;
  auto path = write_text(dir, "c.yaml", "lr:\n  lr: 0.5\n  lr_warmup_steps: 10\n");
  try {
    load_config(path, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lr.lr_warmup_steps"), std::string::npos) << e.what();
  }
  auto pretrained = write_text(dir, "p.yaml", "model:\n  pretrained: 1\n");
  EXPECT_THROW(load_config(pretrained, {}), Error);
}

TEST(FfcvYaml, StepScheduleExpandsIntoMilestones) {
  testing::TempDir dir;
  auto path = write_text(dir, "s.yaml",
                         "lr:\n  lr: 0.1\n  lr_schedule_type: step\n  step_ratio: 0.1\n  step_length: 30\n"
                         "training:\n  epochs: 90\n");
  auto c = load_config(path, {"optimizer.lr=0.2"});
  EXPECT_EQ(c.schedule, "step");
  EXPECT_EQ(c.milestones, (std::vector<double>{30, 60}));
  EXPECT_DOUBLE_EQ(c.gamma, 0.1);
  EXPECT_DOUBLE_EQ(c.lr, 0.2);  // overrides still apply
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

// docs/config.md documents every key (a key added without documentation fails here).
TEST(ConfigDocs, EveryKeyIsDocumented) {
  std::ifstream in(testing::source_dir() / "docs/config.md");
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(doc.empty());
  for (const auto& key : config_keys()) {
    bool documented = doc.find("`" + key + "`") != std::string::npos;
    EXPECT_TRUE(documented) << key;
  }
}

}  // namespace
}  // namespace fastimg::train
