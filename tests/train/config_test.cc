#include "train/config.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <utility>
#include <vector>

#include "test_support.h"
#include "train/config_docs.h"
#include "train/config_schema.h"
#include "train/rr_toml_config.h"
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
    EXPECT_EQ(yaml.schedule.name, toml.schedule.name);                        // lr.lr_schedule_type
    EXPECT_DOUBLE_EQ(yaml.schedule.lr_peak_epoch, toml.schedule.lr_peak_epoch);  // lr.lr_peak_epoch
    EXPECT_EQ(yaml.optimizer.name, toml.optimizer.name);                      // training.optimizer
    EXPECT_EQ(yaml.data.val_batch_size, toml.data.val_batch_size);
    EXPECT_EQ(yaml.data.train.path, "/data/imagenet/train_500_0.50_90.ffcv");
    EXPECT_EQ(yaml.data.val_path, "/data/imagenet/val_500_0.50_90.ffcv");  // data.val_dataset
    EXPECT_EQ(yaml.data.train.threads, 12);                                 // data.num_workers
    EXPECT_EQ(yaml.output.run_dir, "/tmp/");                                // logging.folder
    // dist.world_size (1 or 8), training.distributed and data.in_memory are accepted and ignored:
    // the world size comes from the launcher, and training.batch_size stays the per-process batch.
    EXPECT_EQ(yaml.data.global_batch_size, 0);
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

namespace fastimg::train {
namespace {

std::filesystem::path rr_fixtures() { return testing::source_dir() / "tests/train/data/reproduce_resnet/config"; }

// One of the reproduction project's train configs with its data config (config/data/imagenet.toml).
TrainConfig load_rr(const std::string& name, const std::vector<std::string>& overrides = {}) {
  return load_config((rr_fixtures() / "train" / (name + ".toml")).string(), overrides,
                     (rr_fixtures() / "data" / "imagenet.toml").string());
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// What each of the reference's nine train files says (its values, or src/conf.py's defaults for the
// keys it leaves out).
struct RrRecipe {
  const char* name;
  const char* arch;
  const char* optimizer;
  double lr, momentum, weight_decay;
  int64_t global_batch, epochs, crop;
  double label_smoothing, grad_clip;
  const char* schedule;
  double warmup_epochs, warmup_start_fraction, min_lr;
  Precision precision;
  uint64_t seed;
};

const RrRecipe kRrRecipes[] = {
    {"resnet18-sgd", "resnet18", "sgd", 1.0, 0.875, 0.000030517578125, 1024, 90, 176, 0.1, 0, "cosine", 5, 0.01, 1e-5,
     Precision::kFp16, 810977},
    {"resnet18-sgd-sam-v1", "resnet18", "sam", 1.0, 0.875, 0.000030517578125, 1024, 90, 176, 0.1, 0, "cosine", 5, 0.01,
     1e-5, Precision::kFp16, 810975},
    {"resnet18-sgd-sam-v2", "resnet18", "sam_v2", 1.0, 0.875, 0.000030517578125, 1024, 90, 176, 0.1, 0, "cosine", 5,
     0.01, 1e-5, Precision::kFp32, 810975},  // use_amp = false
    {"resnet50-adam", "resnet50", "adam", 1e-3, 0.9, 0.000030517578125, 1024, 90, 176, 0.1, 0, "cosine", 5, 0.01, 1e-5,
     Precision::kFp16, 810975},  // momentum: fastimg's default (Adam has none)
    {"resnet50-sf-sgd", "resnet50", "sgd_schedule_free", 10, 0.9, 0.00005, 1024, 90, 176, 0.1, 0, "constant", 0, 0.01,
     0, Precision::kFp16, 810975},
    {"resnet50-sgd", "resnet50", "sgd", 1.0, 0.875, 0.000030517578125, 1024, 90, 176, 0.1, 0, "cosine", 5, 0.01, 1e-5,
     Precision::kFp16, 810975},
    {"resnet50-sgd-sam-v1", "resnet50", "sam", 1.0, 0.875, 0.000030517578125, 1024, 90, 176, 0.1, 0, "cosine", 5, 0.01,
     1e-5, Precision::kFp16, 810975},
    {"resnet50-sgd-sam-v2", "resnet50", "sam_v2", 1.0, 0.875, 0.000030517578125, 1024, 90, 176, 0.1, 0, "cosine", 5,
     0.01, 1e-5, Precision::kFp16, 810975},
    {"vit_base_16", "vit_b_16", "adamw", 0.003, 0.9, 0.3, 4096, 300, 224, 0.11, 1.0, "cosine", 30, 0.033, 1e-5,
     Precision::kFp16, 810975},
};

// The reproduction project's nine train configs, each with its data config, load unchanged and give
// the values its code uses; the recipes shipped in configs/rr/ equal them in every setting (to_toml
// prints every key), the data paths and loader threads (the data config's) aside.
TEST(ReproduceResNetToml, NineRecipesMatchTheReferenceAndTheShippedTomlConfigs) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(rr_fixtures() / "train"))
    files += entry.path().extension() == ".toml";
  EXPECT_EQ(files, 9);
  for (const RrRecipe& want : kRrRecipes) {
    SCOPED_TRACE(want.name);
    TrainConfig rr = load_rr(want.name);
    const TrainConfig shipped =
        load_config((testing::source_dir() / "configs/rr" / (std::string(want.name) + ".toml")).string(), {});

    EXPECT_EQ(rr.model.arch, want.arch);
    EXPECT_EQ(rr.optimizer.name, want.optimizer);
    EXPECT_DOUBLE_EQ(rr.optimizer.lr, want.lr);
    EXPECT_DOUBLE_EQ(rr.optimizer.momentum, want.momentum);
    EXPECT_FALSE(rr.optimizer.nesterov);
    EXPECT_DOUBLE_EQ(rr.optimizer.weight_decay, want.weight_decay);
    EXPECT_FALSE(rr.optimizer.decay_bn_and_bias);  // weight decay 0 for "bn" / "bias" in the name
    EXPECT_EQ(rr.optimizer.no_decay_rule, "name");
    EXPECT_DOUBLE_EQ(rr.step.label_smoothing, want.label_smoothing);
    EXPECT_DOUBLE_EQ(rr.step.grad_clip, want.grad_clip);
    EXPECT_EQ(rr.data.global_batch_size, want.global_batch);  // batch_size is global in the reference
    EXPECT_EQ(rr.schedule.epochs, want.epochs);
    EXPECT_EQ(rr.schedule.name, want.schedule);
    EXPECT_DOUBLE_EQ(rr.schedule.warmup_epochs, want.warmup_epochs);
    EXPECT_DOUBLE_EQ(rr.schedule.warmup_start_fraction, want.warmup_start_fraction);
    EXPECT_DOUBLE_EQ(rr.schedule.min_lr, want.min_lr);
    EXPECT_EQ(rr.train.resolution.min_res, want.crop);
    EXPECT_EQ(rr.train.resolution.max_res, want.crop);
    EXPECT_EQ(rr.train.resolution.at_epoch(12), want.crop);  // no progressive resizing in any epoch
    EXPECT_EQ(rr.train.precision, want.precision);
    EXPECT_FALSE(rr.train.channels_last);
    EXPECT_EQ(rr.train.seed, want.seed);
    EXPECT_EQ(rr.train.log_every, 100);
    // The DALI pipeline: random area 0.1-1, aspect ratio 0.8-1.25, 100 attempts, flip 0.5; the
    // validation image resized to shorter side 224 and centre-cropped to 224.
    EXPECT_DOUBLE_EQ(rr.augment.crop.scale_min, 0.1);
    EXPECT_DOUBLE_EQ(rr.augment.crop.scale_max, 1.0);
    EXPECT_DOUBLE_EQ(rr.augment.crop.ratio_min, 0.8);
    EXPECT_DOUBLE_EQ(rr.augment.crop.ratio_max, 1.25);
    EXPECT_EQ(rr.augment.crop.attempts, 100);
    EXPECT_DOUBLE_EQ(rr.augment.flip_probability, 0.5);
    EXPECT_EQ(rr.data.train.decode, loader::DecodeBackend::kCpu);  // dali_cpu (default true)
    EXPECT_EQ(rr.validation.res, 224);
    EXPECT_EQ(rr.validation.augment.mode, augment::CenterCropMode::kResizeThenCrop);
    EXPECT_DOUBLE_EQ(rr.validation.augment.crop_ratio, 1.0);
    EXPECT_EQ(rr.validation.eval_every, 1);
    const bool schedule_free = std::string(want.optimizer) == "sgd_schedule_free";
    EXPECT_EQ(rr.validation.bn_recalibration, schedule_free ? BnRecalibration::kEvery : BnRecalibration::kFinal);
    EXPECT_EQ(rr.validation.bn_recalibration_samples, 102400);
    if (schedule_free) {
      EXPECT_DOUBLE_EQ(rr.optimizer.warmup_steps, 5.0 * 1251);  // 5 epochs of 1281167 // 1024 steps
      EXPECT_DOUBLE_EQ(rr.optimizer.r, 0.75);
      EXPECT_DOUBLE_EQ(rr.optimizer.weight_lr_power, 2.0);
    }
    if (rr.optimizer.name == "sam" || rr.optimizer.name == "sam_v2") {
      const bool v2 = rr.optimizer.name == "sam_v2";
      EXPECT_DOUBLE_EQ(rr.optimizer.rho, v2 ? 1.0 : 0.05);
      EXPECT_EQ(rr.optimizer.sam_adaptive, v2);
      EXPECT_EQ(rr.optimizer.sam_base, "sgd");
    }
    if (rr.optimizer.name == "adam" || rr.optimizer.name == "adamw") {
      EXPECT_DOUBLE_EQ(rr.optimizer.beta1, 0.9);
      EXPECT_DOUBLE_EQ(rr.optimizer.beta2, 0.999);
      EXPECT_DOUBLE_EQ(rr.optimizer.eps, 1e-8);
    }
    EXPECT_EQ(rr.output.run_dir, "runs/rr_" + std::string(want.name));
    // From config/data/imagenet.toml: the shards under data_dir, 8 loader threads, 1000 classes.
    EXPECT_EQ(rr.data.train.path, "./data/imagenet-1k-wds/train-*.tar");
    EXPECT_EQ(rr.data.val_path, "./data/imagenet-1k-wds/val-*.tar");
    EXPECT_EQ(rr.data.train.threads, 8);
    EXPECT_EQ(rr.model.options.num_classes, 1000);

    // configs/rr/<name>.toml: the same in every key but the run's own data paths and threads.
    rr.data.train.path = shipped.data.train.path;
    rr.data.val_path = shipped.data.val_path;
    rr.data.train.threads = shipped.data.train.threads;
    EXPECT_EQ(to_toml(rr), to_toml(shipped));
  }
}

// A key the reference file leaves out gets the reference's default, not fastimg's.
TEST(ReproduceResNetToml, KeysLeftOutTakeTheReferenceDefaults) {
  testing::TempDir dir;
  const auto data = write_text(dir, "d.toml", "");
  auto c = load_config(write_text(dir, "t.toml", "arch = \"resnet18\"\n"), {}, data);
  EXPECT_EQ(c.optimizer.name, "adam");  // src/conf.py Train.optim: AdamConfig
  EXPECT_DOUBLE_EQ(c.optimizer.lr, 0.001);
  EXPECT_DOUBLE_EQ(c.optimizer.weight_decay, 1e-4);
  EXPECT_EQ(c.data.global_batch_size, 1024);
  EXPECT_EQ(c.schedule.epochs, 90);
  EXPECT_EQ(c.schedule.name, "cosine");
  EXPECT_DOUBLE_EQ(c.schedule.warmup_epochs, 5);
  EXPECT_DOUBLE_EQ(c.schedule.min_lr, 1e-5);
  EXPECT_EQ(c.train.precision, Precision::kFp16);
  EXPECT_EQ(c.train.seed, 810975u);
  EXPECT_EQ(c.data.train.threads, 4);  // DaliConfig.num_data_workers
  EXPECT_EQ(c.data.train.path, "./data/imagenet-1k-wds/train-*.tar");
  auto sam = load_config(write_text(dir, "s.toml", "[optim]\nname = 'sgd-sam'\n"), {}, data);
  EXPECT_EQ(sam.optimizer.name, "sam_v2");  // SGDSAMConfig: v2 = true, adaptive = true, rho 0.05, momentum 0.9
  EXPECT_TRUE(sam.optimizer.sam_adaptive);
  EXPECT_DOUBLE_EQ(sam.optimizer.rho, 0.05);
  EXPECT_DOUBLE_EQ(sam.optimizer.momentum, 0.9);
  auto sf = load_config(write_text(dir, "f.toml", "batch_size = 512\n[optim]\nname = 'sgd-schedule-free'\n"), {}, data);
  EXPECT_DOUBLE_EQ(sf.optimizer.warmup_steps, 5.0 * (1281167 / 512));
  EXPECT_DOUBLE_EQ(sf.optimizer.r, 0.0);
  // Overrides still apply on top.
  auto over = load_rr("resnet50-sgd", {"optimizer.lr=0.5", "data.train=t.beton"});
  EXPECT_DOUBLE_EQ(over.optimizer.lr, 0.5);
  EXPECT_EQ(over.data.train.path, "t.beton");
}

std::string rr_error(const std::string& train, const std::string& data) {
  try {
    load_config(train, {}, data);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// An unknown key in either file, or one that belongs to another optimizer, is refused by name in
// one line naming the file.
TEST(ReproduceResNetToml, UnknownKeysAreRejectedByNameInEitherFile) {
  testing::TempDir dir;
  const std::string train = read_text(rr_fixtures() / "train" / "resnet50-sgd.toml");
  const std::string data = read_text(rr_fixtures() / "data" / "imagenet.toml");
  auto replaced = [](std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  };
  const struct {
    std::string train, data, key, file;
  } cases[] = {
      {"lr_warmup = 3\n" + train, data, "lr_warmup", "t.toml"},
      {replaced(train, "[log]\n", "[log]\nlog_every = 5\n"), data, "log.log_every", "t.toml"},
      {replaced(train, "[optim]\n", "[optim]\nrho = 0.1\n"), data, "optim.rho", "t.toml"},  // not for 'sgd'
      {replaced(train, "[preprocess]\n", "[preprocess]\ncrop_scale = 0.08\n"), data, "preprocess.crop_scale", "t.toml"},
      {train, "data_root = \"/x\"\n" + data, "data_root", "d.toml"},
      {train, data + "\nshuffle = true\n", "dataloader.shuffle", "d.toml"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key);
    const std::string msg = rr_error(write_text(dir, "t.toml", c.train), write_text(dir, "d.toml", c.data));
    EXPECT_NE(msg.find("'" + c.key + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.file), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  }
  // Values the reference accepts but fastimg cannot honour are refused too.
  EXPECT_NE(rr_error(write_text(dir, "t.toml", replaced(train, "\"bilinear\"", "\"bicubic\"")),
                     write_text(dir, "d.toml", data))
                .find("preprocess.interpolation"),
            std::string::npos);
  EXPECT_NE(rr_error(write_text(dir, "t.toml", replaced(train, "[optim]\nname = 'sgd'", "[optim]\nname = 'lamb'")),
                     write_text(dir, "d.toml", data))
                .find("optim.name"),
            std::string::npos);
}

// The two files go together: each alone, swapped, or a fastimg / FFCV file with --data-config is
// refused with what to do instead.
TEST(ReproduceResNetToml, TheTrainAndDataConfigsGoTogether) {
  const std::string train = (rr_fixtures() / "train" / "resnet50-sgd.toml").string();
  const std::string data = (rr_fixtures() / "data" / "imagenet.toml").string();
  const std::string fastimg = (testing::source_dir() / "configs/rr/resnet50-sgd.toml").string();
  const std::string yaml = (testing::source_dir() / "tests/train/data/ffcv_yaml/rn18_16_epochs.yaml").string();
  for (const auto& [config, data_config] : std::vector<std::pair<std::string, std::string>>{
           {train, ""}, {data, ""}, {data, train}, {fastimg, data}, {yaml, data}, {"", data}, {train, fastimg}}) {
    SCOPED_TRACE(config + " + " + data_config);
    const std::string msg = rr_error(config, data_config);
    EXPECT_NE(msg.find("--data-config"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_EQ(reproduce_resnet_file_kind({"batch_size", "optim", "lr_scheduler"}), ReproduceResNetFile::kTrain);
  EXPECT_EQ(reproduce_resnet_file_kind({"data_dir", "dataloader"}), ReproduceResNetFile::kData);
  EXPECT_EQ(reproduce_resnet_file_kind({"data", "optimizer"}), ReproduceResNetFile::kNone);
  EXPECT_EQ(reproduce_resnet_file_kind({}), ReproduceResNetFile::kNone);
}

// Every key of the reference's two files is in the documented table once, with what it becomes.
TEST(ReproduceResNetToml, KeyTableListsEachKeyOnce) {
  std::set<std::string> seen;
  for (const auto& k : reproduce_resnet_keys()) {
    EXPECT_TRUE(k.file == "train" || k.file == "data") << k.key;
    EXPECT_FALSE(k.becomes.empty()) << k.key;
    EXPECT_TRUE(seen.insert(k.file + ":" + k.key).second) << k.key;
  }
  for (const char* key : {"train:batch_size", "train:optim.adaptive", "train:log.wandb_project",
                          "train:optim.adam.beta1", "train:preprocess.val_image_size", "data:data_dir",
                          "data:dataloader.num_data_workers"})
    EXPECT_TRUE(seen.count(key)) << key;
}

}  // namespace
}  // namespace fastimg::train
