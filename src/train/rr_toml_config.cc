#include "train/rr_toml_config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "train/config_schema.h"
#include "util/error.h"

namespace fastimg::train {
namespace {

// ImageNet-1k's training images. The reference counts steps per epoch as these / global batch
// (last partial batch dropped) and gives the schedule-free warm-up in epochs; fastimg's is in steps.
constexpr int64_t kImageNetTrainImages = 1281167;

struct KeyInfo {
  const char* file;  // "train" | "data"
  const char* key;
  const char* becomes;
  // optim.* / lr_scheduler.* keys: the optim.name / lr_scheduler.name values whose settings class
  // declares the key (empty = every one).
  std::vector<std::string> only_for;
};

const std::vector<KeyInfo>& key_table() {
  static const std::vector<KeyInfo> table = [] {
    const std::vector<std::string> sgd_like = {"sgd", "sgd-schedule-free", "sgd-sam"};
    const std::vector<std::string> adam_like = {"adam", "adamw-schedule-free"};
    const std::vector<std::string> schedule_free = {"sgd-schedule-free", "adamw-schedule-free"};
    return std::vector<KeyInfo>{
        {"train",
         "batch_size",
         "data.global_batch_size (the batch over all processes; each takes batch_size / world size)",
         {}},
        {"train", "max_epochs", "train.epochs", {}},
        {"train", "lr", "optimizer.lr", {}},
        {"train", "label_smoothing", "optimizer.label_smoothing", {}},
        {"train", "grad_clip_norm", "optimizer.grad_clip (0 = off)", {}},
        {"train",
         "clip_grad_norm",
         "optimizer.grad_clip (vit_base_16.toml's spelling; the reference's own schema rejects it)",
         {}},
        {"train", "checkpoint_dir", "must be empty (the reference cannot resume from it either)", {}},
        {"train", "arch", "model.arch (vit_base_16 becomes vit_b_16)", {}},
        {"train", "use_amp", "train.precision: true = fp16 with dynamic loss scaling, false = fp32", {}},
        {"train", "num_samples_for_stats", "validation.bn_recalibration_samples", {}},
        {"train",
         "preprocess.preload_local",
         "accepted, ignored (copies the shards to $TMPDIR; fastimg memory-maps them)",
         {}},
        {"train",
         "preprocess.interpolation",
         "accepted if bilinear or triangular, ignored (fastimg shrinks by area averaging and enlarges bilinearly)",
         {}},
        {"train", "preprocess.train_crop_size", "train.min_res and train.max_res", {}},
        {"train", "preprocess.val_image_size", "accepted, ignored (the reference's code never reads it)", {}},
        {"train",
         "preprocess.val_crop_size",
         "validation.res, with validation.resize = resize_then_crop and validation.crop_ratio = 1 (shorter side "
         "resized to it, then a centre crop of it)",
         {}},
        {"train", "preprocess.dali_cpu", "data.decode: true = cpu, false = gpu", {}},
        {"train",
         "optim.name",
         "optimizer.name: sgd, adam, adamw, sgd-schedule-free = sgd_schedule_free, adamw-schedule-free = "
         "adamw_schedule_free, sgd-sam = sam or sam_v2 (optim.v2) over sam_base = sgd",
         {}},
        {"train",
         "optim.weight_decay",
         "optimizer.weight_decay, with decay_bn_and_bias = false and no_decay_rule = name (every optimizer)",
         {}},
        {"train", "optim.momentum", "optimizer.momentum", sgd_like},
        {"train", "optim.beta1", "optimizer.beta1", adam_like},
        {"train", "optim.beta2", "optimizer.beta2", adam_like},
        {"train", "optim.epsilon", "optimizer.eps", adam_like},
        {"train", "optim.warmup_epochs",
         "optimizer.warmup_steps = warmup_epochs x (1281167 // batch_size), ImageNet-1k's steps per epoch",
         schedule_free},
        {"train", "optim.r", "optimizer.r", schedule_free},
        {"train", "optim.weight_lr_power", "optimizer.weight_lr_power", schedule_free},
        {"train", "optim.num_samples_for_stats",
         "validation.bn_recalibration_samples (where resnet50-sf-sgd.toml puts it; the reference's schema rejects it "
         "there)",
         schedule_free},
        {"train", "optim.rho", "optimizer.rho", {"sgd-sam"}},
        {"train", "optim.adaptive", "optimizer.sam_adaptive (the reference's SAM classes never read it)", {"sgd-sam"}},
        {"train", "optim.v2", "optimizer.name: sam_v2 (true) or sam (false)", {"sgd-sam"}},
        {"train", "optim.adam.beta1", "optimizer.beta1 (vit_base_16.toml's layout)", {"adamw"}},
        {"train", "optim.adam.beta2", "optimizer.beta2 (vit_base_16.toml's layout)", {"adamw"}},
        {"train", "optim.adam.epsilon", "optimizer.eps (vit_base_16.toml's layout)", {"adamw"}},
        {"train",
         "optim.sgd.momentum",
         "optimizer.momentum (vit_base_16.toml's layout; AdamW does not use it)",
         {"adamw"}},
        {"train", "lr_scheduler.name", "schedule.name: cosine or constant", {}},
        {"train", "lr_scheduler.warmup_epochs", "schedule.warmup_epochs", {"cosine"}},
        {"train", "lr_scheduler.warmup_decay", "schedule.warmup_start_fraction", {"cosine"}},
        {"train", "lr_scheduler.eta_min", "schedule.min_lr", {"cosine"}},
        {"train", "reproduce.seed", "train.seed", {}},
        {"train", "log.log_freq", "train.log_every", {}},
        {"train", "log.wandb_on", "accepted, ignored (fastimg writes metrics.jsonl and TensorBoard events)", {}},
        {"train", "log.project", "accepted, ignored (the wandb project)", {}},
        {"train",
         "log.wandb_project",
         "accepted, ignored (the wandb project; the reference's schema rejects this spelling)",
         {}},
        {"train", "log.checkpoint_freq", "accepted, ignored (fastimg writes last.pt after every epoch)", {}},
        {"train", "log.log_dir", "accepted, ignored (output.run_dir becomes runs/rr_<train file name>)", {}},
        {"data",
         "data_dir",
         "data.train = <data_dir>/train-*.tar and data.val = <data_dir>/val-*.tar (the reference's WebDataset shards)",
         {}},
        {"data", "num_classes", "model.num_classes", {}},
        {"data", "dataloader.name", "must be dali (the reference's only loader)", {}},
        {"data", "dataloader.num_data_workers", "data.threads", {}},
    };
  }();
  return table;
}

const KeyInfo* find_key(const std::string& file, const std::string& key) {
  for (const auto& k : key_table())
    if (file == k.file && key == k.key) return &k;
  return nullptr;
}

// Whether `name` is the first component of some key of `file` ("optim" for "optim.rho").
bool top_level_of(const std::string& file, const std::string& name) {
  for (const auto& k : key_table()) {
    const std::string key = k.key;
    if (file == k.file && key.substr(0, key.find('.')) == name) return true;
  }
  return false;
}

bool is_fastimg_section(const std::string& name) {
  for (const auto& s : settings())
    if (s.key.substr(0, s.key.find('.')) == name) return true;
  return false;
}

toml::table read_toml_file(const std::string& path) {
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    fail("{}:{}:{}: {}", path, where.line, where.column, e.description());
  }
}

std::vector<std::string> top_level_names(const toml::table& table) {
  std::vector<std::string> keys;
  for (const auto& [name, node] : table) keys.emplace_back(name.str());
  return keys;
}

// One file's leaf values by dotted key ("optim.adam.beta1"), read with the reference's defaults.
class FileValues {
 public:
  FileValues(std::string path, const toml::table& table) : path_(std::move(path)) { flatten(table, ""); }

  const std::string& path() const { return path_; }
  bool has(const std::string& key) const { return leaves_.count(key) > 0; }
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& [key, node] : leaves_) out.push_back(key);
    return out;
  }

  std::string text(const std::string& key, const std::string& fallback) const {
    const toml::node* node = find(key);
    if (!node) return fallback;
    if (const auto* s = node->as_string()) return s->get();
    fail("{}: key '{}' must be a string", path_, key);
  }
  double number(const std::string& key, double fallback) const {
    const toml::node* node = find(key);
    if (!node) return fallback;
    if (const auto* i = node->as_integer()) return static_cast<double>(i->get());
    if (const auto* f = node->as_floating_point()) return f->get();
    fail("{}: key '{}' must be a number", path_, key);
  }
  int64_t integer(const std::string& key, int64_t fallback) const {
    const toml::node* node = find(key);
    if (!node) return fallback;
    if (const auto* i = node->as_integer()) return i->get();
    // The reference's schema (pydantic) takes a float with no fractional part for an int field.
    if (const auto* f = node->as_floating_point()) {
      const double v = f->get();
      if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15) return static_cast<int64_t>(v);
    }
    fail("{}: key '{}' must be an integer", path_, key);
  }
  bool flag(const std::string& key, bool fallback) const {
    const toml::node* node = find(key);
    if (!node) return fallback;
    if (const auto* b = node->as_boolean()) return b->get();
    fail("{}: key '{}' must be true or false", path_, key);
  }

 private:
  void flatten(const toml::table& table, const std::string& prefix) {
    for (const auto& [name, node] : table) {
      const std::string key = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
      if (const auto* sub = node.as_table()) flatten(*sub, key);
      else leaves_[key] = &node;
    }
  }
  const toml::node* find(const std::string& key) const {
    auto it = leaves_.find(key);
    return it == leaves_.end() ? nullptr : it->second;
  }

  std::string path_;
  std::map<std::string, const toml::node*> leaves_;  // into the caller's table, which outlives this
};

// Every key of `values` must be one of `file`'s, and an optim.* / lr_scheduler.* key must belong to
// the chosen optimizer / scheduler (the reference's schema forbids the others).
void check_keys(const FileValues& values, const std::string& file, const std::string& optim_name,
                const std::string& scheduler_name) {
  for (const auto& key : values.keys()) {
    const KeyInfo* info = find_key(file, key);
    if (!info) fail("{}: unknown Reproduce-ResNet {} config key '{}'", values.path(), file, key);
    if (info->only_for.empty()) continue;
    const bool optim = key.rfind("optim.", 0) == 0;
    const std::string& chosen = optim ? optim_name : scheduler_name;
    if (std::find(info->only_for.begin(), info->only_for.end(), chosen) == info->only_for.end())
      fail("{}: key '{}' does not apply to {} '{}' (it belongs to {})", values.path(), key,
           optim ? "optim.name" : "lr_scheduler.name", chosen, fmt::join(info->only_for, ", "));
  }
}

// Stores one value through the settings table, so that its type and range are checked there too.
void put(TrainConfig& config, const std::string& key, const SettingValue& value, const std::string& origin) {
  const Setting* s = find_setting(key);
  if (!s) fail("{}: internal error: fastimg has no config key '{}'", origin, key);
  s->set(config, value, origin);
}
void put_text(TrainConfig& c, const std::string& key, const std::string& v, const std::string& origin) {
  put(c, key, SettingValue{v}, origin);
}
void put_number(TrainConfig& c, const std::string& key, double v, const std::string& origin) {
  put(c, key, SettingValue{v}, origin);
}
void put_integer(TrainConfig& c, const std::string& key, int64_t v, const std::string& origin) {
  put(c, key, SettingValue{v}, origin);
}
void put_flag(TrainConfig& c, const std::string& key, bool v, const std::string& origin) {
  put(c, key, SettingValue{v}, origin);
}

std::string fastimg_arch(const std::string& arch, const std::string& path) {
  if (arch == "resnet18" || arch == "resnet50" || arch == "vgg16" || arch == "vgg16_bn") return arch;
  if (arch == "vit_base_16") return "vit_b_16";
  fail("{}: key 'arch' = '{}' is not one of the reference's models (resnet18, resnet50, vgg16, vgg16_bn, vit_base_16)",
       path, arch);
}

void apply_train_file(TrainConfig& c, const FileValues& t) {
  const std::string& path = t.path();
  auto at = [&](const char* key) { return path + ": " + key; };

  const std::string optim = t.text("optim.name", "adam");
  const std::set<std::string> optimizers = {"adam",   "adamw", "sgd", "sgd-schedule-free", "adamw-schedule-free",
                                            "sgd-sam"};
  if (!optimizers.count(optim))
    fail("{}: key 'optim.name' = '{}' is not one of the reference's optimizers ({})", path, optim,
         fmt::join(optimizers, ", "));
  const std::string scheduler = t.text("lr_scheduler.name", "cosine");
  if (scheduler != "cosine" && scheduler != "constant")
    fail("{}: key 'lr_scheduler.name' = '{}' must be cosine or constant", path, scheduler);
  check_keys(t, "train", optim, scheduler);

  // Top level (src/conf.py Train).
  const int64_t batch = t.integer("batch_size", 1024);
  if (batch < 1) fail("{}: key 'batch_size' must be >= 1, not {}", path, batch);
  put_integer(c, "data.global_batch_size", batch, at("batch_size"));
  put_integer(c, "train.epochs", t.integer("max_epochs", 90), at("max_epochs"));
  put_number(c, "optimizer.lr", t.number("lr", 0.001), at("lr"));
  put_number(c, "optimizer.label_smoothing", t.number("label_smoothing", 0.1), at("label_smoothing"));
  if (t.has("grad_clip_norm") && t.has("clip_grad_norm"))
    fail("{}: keys 'grad_clip_norm' and 'clip_grad_norm' name the same setting; keep one", path);
  const char* clip_key = t.has("clip_grad_norm") ? "clip_grad_norm" : "grad_clip_norm";
  put_number(c, "optimizer.grad_clip", t.number(clip_key, 0.0), at(clip_key));
  if (!t.text("checkpoint_dir", "").empty())
    fail("{}: key 'checkpoint_dir' must be empty (resume a fastimg run with output.resume)", path);
  put_text(c, "model.arch", fastimg_arch(t.text("arch", "resnet50"), path), at("arch"));
  put_text(c, "train.precision", t.flag("use_amp", true) ? "fp16" : "fp32", at("use_amp"));
  put_flag(c, "train.channels_last", false, path);  // the reference keeps the model NCHW
  const char* stats_key =
      t.has("optim.num_samples_for_stats") ? "optim.num_samples_for_stats" : "num_samples_for_stats";
  put_integer(c, "validation.bn_recalibration_samples", t.integer(stats_key, 102400), at(stats_key));

  // [preprocess] and the DALI pipeline (src/data/dataloader.py).
  const std::string interpolation = t.text("preprocess.interpolation", "triangular");
  if (interpolation != "bilinear" && interpolation != "triangular")
    fail("{}: key 'preprocess.interpolation' = '{}' has no fastimg equivalent (bilinear and triangular do)", path,
         interpolation);
  t.flag("preprocess.preload_local", false);  // type-checked, no effect
  t.integer("preprocess.val_image_size", 256);  // type-checked; the reference never reads it
  const int64_t crop = t.integer("preprocess.train_crop_size", 176);
  put_integer(c, "train.min_res", crop, at("preprocess.train_crop_size"));
  put_integer(c, "train.max_res", crop, at("preprocess.train_crop_size"));
  // One resolution throughout: no ramp (with the default ramp, epoch 12 would round 176 up to 192).
  put_integer(c, "train.start_ramp", 0, path);
  put_integer(c, "train.end_ramp", 0, path);
  put_integer(c, "validation.res", t.integer("preprocess.val_crop_size", 224), at("preprocess.val_crop_size"));
  put_text(c, "validation.resize", "resize_then_crop", path);  // shorter side to val_crop_size, centre crop
  put_number(c, "validation.crop_ratio", 1.0, path);
  put_text(c, "data.decode", t.flag("preprocess.dali_cpu", true) ? "cpu" : "gpu", at("preprocess.dali_cpu"));
  put_number(c, "augment.scale_min", 0.1, path);  // image_random_crop random_area
  put_number(c, "augment.scale_max", 1.0, path);
  put_number(c, "augment.ratio_min", 0.8, path);  // random_aspect_ratio
  put_number(c, "augment.ratio_max", 1.25, path);
  put_integer(c, "augment.attempts", 100, path);  // num_attempts
  put_number(c, "augment.flip_probability", 0.5, path);
  put_text(c, "data.order", "random", path);

  // [optim] (src/optims.py get_optim_fn; defaults from src/conf.py's settings classes).
  const bool sam = optim == "sgd-sam";
  const bool sf = optim == "sgd-schedule-free" || optim == "adamw-schedule-free";
  std::string name = optim;
  if (optim == "sgd-schedule-free") name = "sgd_schedule_free";
  if (optim == "adamw-schedule-free") name = "adamw_schedule_free";
  if (sam) name = t.flag("optim.v2", true) ? "sam_v2" : "sam";
  put_text(c, "optimizer.name", name, at("optim.name"));
  put_number(c, "optimizer.weight_decay", t.number("optim.weight_decay", optim == "adamw-schedule-free" ? 0.1 : 1e-4),
             at("optim.weight_decay"));
  put_flag(c, "optimizer.decay_bn_and_bias", false, path);  // get_param_groups_from_list, every optimizer
  put_text(c, "optimizer.no_decay_rule", "name", path);  // "bn" or "bias" in the parameter name
  put_flag(c, "optimizer.nesterov", false, path);
  if (optim == "sgd" || optim == "sgd-schedule-free" || sam)
    put_number(c, "optimizer.momentum", t.number("optim.momentum", optim == "sgd" ? 0.875 : 0.9), at("optim.momentum"));
  if (optim == "adam" || optim == "adamw-schedule-free") {
    put_number(c, "optimizer.beta1", t.number("optim.beta1", 0.9), at("optim.beta1"));
    put_number(c, "optimizer.beta2", t.number("optim.beta2", 0.999), at("optim.beta2"));
    put_number(c, "optimizer.eps", t.number("optim.epsilon", 1e-8), at("optim.epsilon"));
  }
  if (optim == "adamw") {
    put_number(c, "optimizer.beta1", t.number("optim.adam.beta1", 0.9), at("optim.adam.beta1"));
    put_number(c, "optimizer.beta2", t.number("optim.adam.beta2", 0.999), at("optim.adam.beta2"));
    put_number(c, "optimizer.eps", t.number("optim.adam.epsilon", 1e-8), at("optim.adam.epsilon"));
    if (t.has("optim.sgd.momentum"))
      put_number(c, "optimizer.momentum", t.number("optim.sgd.momentum", 0.9), at("optim.sgd.momentum"));
  }
  if (sf) {
    const int64_t steps_per_epoch = kImageNetTrainImages / batch;
    put_number(c, "optimizer.warmup_steps", static_cast<double>(t.integer("optim.warmup_epochs", 5) * steps_per_epoch),
               at("optim.warmup_epochs"));
    put_number(c, "optimizer.r", t.number("optim.r", 0.0), at("optim.r"));
    put_number(c, "optimizer.weight_lr_power", t.number("optim.weight_lr_power", 2.0), at("optim.weight_lr_power"));
  }
  if (sam) {
    put_number(c, "optimizer.rho", t.number("optim.rho", 0.05), at("optim.rho"));
    put_flag(c, "optimizer.sam_adaptive", t.flag("optim.adaptive", true), at("optim.adaptive"));
    put_text(c, "optimizer.sam_base", "sgd", at("optim.name"));
  }

  // [lr_scheduler] (src/optims.py get_lr_scheduler_fn), stepped every iteration.
  put_text(c, "schedule.name", scheduler, at("lr_scheduler.name"));
  if (scheduler == "cosine") {
    put_number(c, "schedule.warmup_epochs", static_cast<double>(t.integer("lr_scheduler.warmup_epochs", 5)),
               at("lr_scheduler.warmup_epochs"));
    put_number(c, "schedule.warmup_start_fraction", t.number("lr_scheduler.warmup_decay", 0.01),
               at("lr_scheduler.warmup_decay"));
    put_number(c, "schedule.min_lr", t.number("lr_scheduler.eta_min", 1e-5), at("lr_scheduler.eta_min"));
  } else {
    put_number(c, "schedule.warmup_epochs", 0.0, at("lr_scheduler.name"));
  }

  // Evaluation every epoch; BN statistics recollected before each one for schedule-free, before the
  // last one otherwise (src/train.py valid).
  put_integer(c, "validation.eval_every", 1, path);
  put_text(c, "validation.bn_recalibration", sf ? "every" : "final", path);

  put_integer(c, "train.seed", t.integer("reproduce.seed", 810975), at("reproduce.seed"));
  put_integer(c, "train.log_every", t.integer("log.log_freq", 100), at("log.log_freq"));
  t.flag("log.wandb_on", false);  // type-checked, no effect
  t.integer("log.checkpoint_freq", 45);
  put_text(c, "output.run_dir", "runs/rr_" + std::filesystem::path(path).stem().string(), path);
}

void apply_data_file(TrainConfig& c, const FileValues& d) {
  const std::string& path = d.path();
  check_keys(d, "data", "", "");
  const std::string dir = d.text("data_dir", "./data/imagenet-1k-wds");
  put_text(c, "data.train", (std::filesystem::path(dir) / "train-*.tar").string(), path + ": data_dir");
  put_text(c, "data.val", (std::filesystem::path(dir) / "val-*.tar").string(), path + ": data_dir");
  put_integer(c, "model.num_classes", d.integer("num_classes", 1000), path + ": num_classes");
  const std::string loader = d.text("dataloader.name", "dali");
  if (loader != "dali")
    fail("{}: key 'dataloader.name' = '{}' must be dali (the reference's only loader)", path, loader);
  put_integer(c, "data.threads", d.integer("dataloader.num_data_workers", 4), path + ": dataloader.num_data_workers");
}

}  // namespace

ReproduceResNetFile reproduce_resnet_file_kind(const std::vector<std::string>& top_level_keys) {
  bool train = false, data = false;
  for (const auto& key : top_level_keys) {
    if (is_fastimg_section(key)) return ReproduceResNetFile::kNone;
    train = train || top_level_of("train", key);
    data = data || top_level_of("data", key);
  }
  // A train file with a data key among its own is still a train file (the data key is then an
  // unknown key, reported by name).
  if (train) return ReproduceResNetFile::kTrain;
  if (data) return ReproduceResNetFile::kData;
  return ReproduceResNetFile::kNone;
}

void apply_reproduce_resnet_toml(TrainConfig& config, const std::string& train_path, const std::string& data_path) {
  const toml::table train_table = read_toml_file(train_path);
  const ReproduceResNetFile kind = reproduce_resnet_file_kind(top_level_names(train_table));
  if (kind == ReproduceResNetFile::kData)
    fail("{}: this is a Reproduce-ResNet data config: pass it with --data-config, and its train config "
         "(config/train/*.toml) with --config",
         train_path);
  if (kind != ReproduceResNetFile::kTrain)
    fail("{}: --data-config goes with a Reproduce-ResNet train config (top-level batch_size, arch, [optim], "
         "[lr_scheduler], ...), not with a fastimg config",
         train_path);
  if (data_path.empty())
    fail(
        "{}: a Reproduce-ResNet train config needs its data config too: add --data-config (e.g. "
        "config/data/imagenet.toml)",
        train_path);
  const toml::table data_table = read_toml_file(data_path);
  if (!data_table.empty() && reproduce_resnet_file_kind(top_level_names(data_table)) != ReproduceResNetFile::kData)
    fail("{}: --data-config must be a Reproduce-ResNet data config (data_dir, num_classes, [dataloader])", data_path);
  apply_train_file(config, FileValues(train_path, train_table));
  apply_data_file(config, FileValues(data_path, data_table));
}

std::vector<ReproduceResNetKey> reproduce_resnet_keys() {
  std::vector<ReproduceResNetKey> out;
  for (const auto& k : key_table()) {
    std::string becomes = k.becomes;
    if (!k.only_for.empty()) becomes += fmt::format(" [only with {}]", fmt::join(k.only_for, ", "));
    out.push_back({k.file, k.key, becomes});
  }
  return out;
}

}  // namespace fastimg::train
