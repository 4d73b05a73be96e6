#include "train/config.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "test_support.h"
#include "train/config_docs.h"
#include "train/config_schema.h"
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
  EXPECT_EQ(c.data.train.path, "a.beton");
  EXPECT_EQ(c.data.train.batch_size, 32);
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 2.0);  // an integer is accepted for a float key
  EXPECT_TRUE(c.optimizer.nesterov);
  EXPECT_EQ(c.schedule.milestones, (std::vector<double>{30, 60.5}));
}

TEST(TrainConfig, OverridesWinOverTheFile) {
  testing::TempDir dir;
  auto path = write_text(dir, "c.toml", "[optimizer]\nlr = 0.1\n");
  auto c = load_config(path, {"optimizer.lr=0.25", "data.train=x.beton", "model.arch=\"resnet50\"", "train.seed=7"});
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.25);
  EXPECT_EQ(c.data.train.path, "x.beton");
  EXPECT_EQ(c.model.arch, "resnet50");
  EXPECT_EQ(c.train.seed, 7u);
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
  EXPECT_DOUBLE_EQ(back.optimizer.weight_decay, 3.0517578125e-05);
  EXPECT_TRUE(back.train.channels_last);
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
    EXPECT_GT(c.schedule.epochs, 0);
    EXPECT_FALSE(c.model.arch.empty());
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
    EXPECT_EQ(yaml.model.arch, toml.model.arch);
    EXPECT_DOUBLE_EQ(yaml.optimizer.lr, toml.optimizer.lr);
    EXPECT_DOUBLE_EQ(yaml.optimizer.weight_decay, toml.optimizer.weight_decay);
    EXPECT_DOUBLE_EQ(yaml.optimizer.momentum, toml.optimizer.momentum);
    EXPECT_DOUBLE_EQ(yaml.step.label_smoothing, toml.step.label_smoothing);
    EXPECT_EQ(yaml.data.train.batch_size, toml.data.train.batch_size);
    EXPECT_EQ(yaml.schedule.epochs, toml.schedule.epochs);
    EXPECT_EQ(yaml.train.resolution.start_ramp, toml.train.resolution.start_ramp);
    EXPECT_EQ(yaml.train.resolution.end_ramp, toml.train.resolution.end_ramp);
    EXPECT_EQ(yaml.train.resolution.min_res, toml.train.resolution.min_res);
    EXPECT_EQ(yaml.train.resolution.max_res, toml.train.resolution.max_res);
    EXPECT_EQ(yaml.validation.res, toml.validation.res);
    EXPECT_EQ(yaml.model.options.blurpool, toml.model.options.blurpool);
    EXPECT_EQ(yaml.validation.tta_flip, toml.validation.tta_flip);
    EXPECT_EQ(yaml.optimizer.decay_bn_and_bias, toml.optimizer.decay_bn_and_bias);
    EXPECT_EQ(yaml.schedule.name, "triangular");
    EXPECT_EQ(yaml.data.train.path, "/data/imagenet/train_500_0.50_90.ffcv");
    EXPECT_EQ(yaml.data.train.threads, 12);
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
  EXPECT_EQ(c.schedule.name, "step");
  EXPECT_EQ(c.schedule.milestones, (std::vector<double>{30, 60}));
  EXPECT_DOUBLE_EQ(c.schedule.gamma, 0.1);
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.2);  // overrides still apply
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

// docs/config.md is generated from the settings table and must equal the committed file
// (regenerate: `build/fastimg train --help-config > docs/config.md`).
TEST(ConfigDocs, CommittedFileEqualsTheGeneratedReference) {
  std::ifstream in(testing::source_dir() / "docs/config.md");
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(doc.empty());
  EXPECT_EQ(doc, config_reference_markdown()) << "regenerate with: fastimg train --help-config > docs/config.md";
  for (const auto& s : settings()) EXPECT_NE(doc.find("`" + s.key + "`"), std::string::npos) << s.key;
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

std::string error_of(const std::vector<std::string>& overrides) {
  try {
    load_config("", overrides);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// The values a new user tried: each is refused with the key and the allowed range.
TEST(ConfigValidation, OutOfRangeValuesNameTheKeyAndTheRange) {
  const struct {
    const char* assignment;
    const char* key;
    const char* range;
  } cases[] = {
      {"data.threads=-3", "data.threads", ">= 0"},
      {"optimizer.momentum=5", "optimizer.momentum", "[0, 1)"},
      {"validation.res=0", "validation.res", ">= 1"},
      {"train.res_multiple=0", "train.res_multiple", ">= 1"},
      {"data.order=quasi", "data.order", "sequential, random or quasi_random"},
      {"optimizer.name=lamb", "optimizer.name", "sgd"},
      {"model.arch=resnet19", "model.arch", "resnet18"},
  };
  for (const auto& c : cases) {
    const std::string msg = error_of({c.assignment});
    EXPECT_NE(msg.find(c.key), std::string::npos) << c.assignment << ": " << msg;
    EXPECT_NE(msg.find(c.range), std::string::npos) << c.assignment << ": " << msg;
    EXPECT_NE(msg.find(std::string("--set ") + c.assignment), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  }
}

TEST(ConfigValidation, SettingsAreCheckedAgainstEachOther) {
  EXPECT_NE(error_of({"train.min_res=256", "train.max_res=128"}).find("train.min_res"), std::string::npos);
  EXPECT_NE(error_of({"augment.scale_min=0.9", "augment.scale_max=0.5"}).find("augment.scale_min"), std::string::npos);
  EXPECT_NE(error_of({"schedule.lr_peak_epoch=40", "train.epochs=16"}).find("lr_peak_epoch"), std::string::npos);
  EXPECT_EQ(error_of({"train.min_res=128", "train.max_res=128"}), "");
}

// Each key's bad values, generated from its declaration, are refused naming the key; a value of
// the right kind inside the range is accepted (the default, printed and parsed back).
TEST(ConfigValidation, EveryKeyRefusesItsBadValues) {
  const TrainConfig defaults;
  for (const Setting& s : settings()) {
    SCOPED_TRACE(s.key);
    std::vector<std::string> bad;
    switch (s.type) {
      case SettingType::kBool: bad = {"maybe", "2"}; break;
      case SettingType::kInt: bad = {"1.5", "\"x\""}; break;
      case SettingType::kFloat: bad = {"\"x\"", "true"}; break;
      case SettingType::kFloatList: bad = {"1", "[\"a\"]"}; break;
      case SettingType::kChoice: bad = {"no_such_choice"}; break;
      case SettingType::kString:
        if (s.choices) bad = {"no_such_choice"};
        break;
    }
    if (s.range.min) {
      const double below = *s.range.min - (s.range.min_exclusive ? 0 : 1);
      bad.push_back(s.type == SettingType::kFloatList ? fmt::format("[{}]", below) : fmt::format("{}", below));
    }
    if (s.range.max) bad.push_back(fmt::format("{}", *s.range.max + (s.range.max_exclusive ? 0 : 1)));
    for (const auto& value : bad) {
      const std::string msg = error_of({s.key + "=" + value});
      EXPECT_NE(msg.find(s.key), std::string::npos) << value << " was accepted or unnamed: " << msg;
    }
    EXPECT_EQ(error_of({s.key + "=" + s.to_toml(defaults)}), "") << "default " << s.to_toml(defaults);
  }
}

}  // namespace
}  // namespace fastimg::train
