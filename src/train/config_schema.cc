#include "train/config_schema.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <toml++/toml.h>
#include <type_traits>

#include "models/registry.h"
#include "optim/optimizer.h"
#include "util/error.h"
#include "util/named_enum.h"

namespace fastimg::train {
namespace {

using Choices = std::function<std::vector<std::string>()>;

std::string show(const SettingValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return "'" + x + "'";
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::vector<double>>) return fmt::format("[{}]", fmt::join(x, ", "));
        else return fmt::format("{}", x);
      },
      v);
}

[[noreturn]] void refuse(const std::string& origin, const std::string& key, const std::string& expected,
                         const SettingValue& v) {
  fail("{}: {} must be {}, not {}", origin, key, expected, show(v));
}

std::string quoted(const std::string& s) {
  std::ostringstream os;
  os << toml::value<std::string>(s);
  return os.str();
}

std::string float_literal(double v) {  // always a float literal, so the file reads back as a float
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

template <class T>
constexpr SettingType type_of() {
  if constexpr (std::is_same_v<T, std::string>) return SettingType::kString;
  else if constexpr (std::is_same_v<T, bool>) return SettingType::kBool;
  else if constexpr (std::is_integral_v<T>) return SettingType::kInt;
  else if constexpr (std::is_floating_point_v<T>) return SettingType::kFloat;
  else return SettingType::kFloatList;
}

// Converts and checks a value for a field of type T; `s` is the setting (for the error text).
template <class T>
T checked(const Setting& s, const SettingValue& v, const std::string& origin) {
  const std::string expected = s.allowed().empty() ? s.type_name() : s.allowed();
  if constexpr (std::is_same_v<T, std::string>) {
    if (!std::holds_alternative<std::string>(v)) refuse(origin, s.key, "a string", v);
    const std::string& text = std::get<std::string>(v);
    if (s.choices) {
      const auto names = s.choices();
      if (std::find(names.begin(), names.end(), text) == names.end()) refuse(origin, s.key, expected, v);
    }
    return text;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!std::holds_alternative<bool>(v)) refuse(origin, s.key, "true or false", v);
    return std::get<bool>(v);
  } else if constexpr (std::is_integral_v<T>) {
    if (!std::holds_alternative<int64_t>(v)) refuse(origin, s.key, expected, v);
    const int64_t x = std::get<int64_t>(v);
    if (!s.range.contains(static_cast<double>(x)) || (std::is_unsigned_v<T> && x < 0)) refuse(origin, s.key, expected, v);
    return static_cast<T>(x);
  } else if constexpr (std::is_floating_point_v<T>) {
    double x = 0;
    if (std::holds_alternative<int64_t>(v)) x = static_cast<double>(std::get<int64_t>(v));
    else if (std::holds_alternative<double>(v)) x = std::get<double>(v);
    else refuse(origin, s.key, expected, v);
    if (!std::isfinite(x) || !s.range.contains(x)) refuse(origin, s.key, expected, v);
    return x;
  } else {
    if (!std::holds_alternative<std::vector<double>>(v)) refuse(origin, s.key, "an array of numbers", v);
    for (double x : std::get<std::vector<double>>(v))
      if (!std::isfinite(x) || !s.range.contains(x)) refuse(origin, s.key, "an array of " + expected, v);
    return std::get<std::vector<double>>(v);
  }
}

template <class T>
std::string literal(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) return quoted(v);
  else if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
  else if constexpr (std::is_integral_v<T>) return fmt::format("{}", v);
  else if constexpr (std::is_floating_point_v<T>) return float_literal(v);
  else {
    std::vector<std::string> items;
    for (double x : v) items.push_back(fmt::format("{}", x));
    return fmt::format("[{}]", fmt::join(items, ", "));
  }
}

// A setting stored in the field that `access` returns (a lambda TrainConfig& -> T&).
template <class Access>
Setting field(const char* key, Access access, Range range, const char* doc, Choices choices = {}) {
  using T = std::remove_cvref_t<decltype(access(std::declval<TrainConfig&>()))>;
  Setting s{key, type_of<T>(), doc, range, std::move(choices), {}, {}};
  s.set = [access, s](TrainConfig& c, const SettingValue& v, const std::string& origin) {
    access(c) = checked<T>(s, v, origin);
  };
  s.to_toml = [access](const TrainConfig& c) { return literal(access(const_cast<TrainConfig&>(c))); };
  return s;
}

// An enum setting, spelled as in its names table.
template <class Access, class E>
Setting choice(const char* key, Access access, EnumNames<E> names, const char* doc) {
  Setting s{key, SettingType::kChoice, doc, {}, [names] { return enum_choices(names); }, {}, {}};
  s.set = [access, names, s](TrainConfig& c, const SettingValue& v, const std::string& origin) {
    // Enums spelled "true"/"false" (output.resume) also take TOML booleans.
    const bool boolean = std::holds_alternative<bool>(v);
    if (!std::holds_alternative<std::string>(v) && !boolean) refuse(origin, s.key, s.allowed(), v);
    try {
      access(c) = parse_enum(names, boolean ? (std::get<bool>(v) ? "true" : "false") : std::get<std::string>(v), s.key);
    } catch (const Error& e) {
      fail("{}: {}", origin, e.what());
    }
  };
  s.to_toml = [access, names](const TrainConfig& c) {
    const std::string name = enum_name(names, access(const_cast<TrainConfig&>(c)));
    return name == "true" || name == "false" ? name : quoted(name);
  };
  return s;
}

#define FASTIMG_FIELD(member) [](TrainConfig& c) -> auto& { return c.member; }

Range at_least(double v) { return {v, std::nullopt}; }
Range above(double v) { return {v, std::nullopt, true}; }
Range between(double lo, double hi) { return {lo, hi}; }
Range fraction_open_above() { return {0.0, 1.0, false, true}; }  // [0, 1)
Range fraction_open_below() { return {0.0, 1.0, true, false}; }  // (0, 1]

std::vector<std::string> sam_bases() {
  auto names = optim::optimizer_names();
  std::erase_if(names, [](const std::string& n) { return n.starts_with("sam"); });
  return names;
}

std::vector<Setting> data_and_model_settings() {
  return {
      field("data.train", FASTIMG_FIELD(data.train.path), {},
            "training data: a `.beton` file, an ImageFolder directory (class sub-folders; its file list is cached in "
            "`output.run_dir`) or WebDataset shards (`train-{000000..000009}.tar`, a glob or one `.tar`); required"),
      field("data.val", FASTIMG_FIELD(data.val_path), {}, "validation data (same kinds); empty = no evaluation"),
      field("data.threads", FASTIMG_FIELD(data.train.threads), at_least(0),
            "loader threads per process; 0 = the cores divided by the processes on this node"),
      choice("data.order", FASTIMG_FIELD(data.train.order), EnumNames<loader::OrderKind>(loader::kOrderKindNames),
             "sample order; `quasi_random` is a page-aware shuffle for data larger than RAM"),
      choice("data.decode", FASTIMG_FIELD(data.train.decode), EnumNames<loader::DecodeBackend>(loader::kDecodeBackendNames),
             "where JPEGs are decoded: `cpu` threads, `gpu` nvJPEG (raw, PNG and CMYK samples stay on the threads), "
             "`auto` = gpu when training on a CUDA device with an nvJPEG build"),
      field("data.batch_size", FASTIMG_FIELD(data.train.batch_size), at_least(1),
            "training batch per process (global batch = this × world size)"),
      field("data.global_batch_size", FASTIMG_FIELD(data.global_batch_size), at_least(0),
            "batch over all processes (each takes this / world size; overrides `data.batch_size`); 0 = unset"),
      field("data.val_batch_size", FASTIMG_FIELD(data.val_batch_size), at_least(1), "validation batch per process"),
      field("data.batches_ahead", FASTIMG_FIELD(data.train.batches_ahead), at_least(1), "batches the loader keeps ready"),
      field("data.strict", FASTIMG_FIELD(data.train.strict), {},
            "an unreadable image stops the run; by default each is reported, skipped and counted (`skipped_samples`)"),
      field("augment.scale_min", FASTIMG_FIELD(augment.crop.scale_min), fraction_open_below(),
            "random-resized crop: smallest area fraction"),
      field("augment.scale_max", FASTIMG_FIELD(augment.crop.scale_max), fraction_open_below(),
            "random-resized crop: largest area fraction"),
      field("augment.ratio_min", FASTIMG_FIELD(augment.crop.ratio_min), above(0), "random-resized crop: smallest aspect ratio"),
      field("augment.ratio_max", FASTIMG_FIELD(augment.crop.ratio_max), above(0), "random-resized crop: largest aspect ratio"),
      field("augment.attempts", FASTIMG_FIELD(augment.crop.attempts), at_least(1),
            "random-resized crop: draws before the centre-crop fallback (torchvision 10)"),
      field("augment.flip_probability", FASTIMG_FIELD(augment.flip_probability), between(0, 1),
            "probability of a horizontal flip"),
      field("model.arch", FASTIMG_FIELD(model.arch), {}, "architecture (`fastimg models`)", models::model_names),
      field("model.blurpool", FASTIMG_FIELD(model.options.blurpool), {}, "FFCV's BlurPool before strided convs"),
      field("model.zero_init_residual", FASTIMG_FIELD(model.options.zero_init_residual), {},
            "zero the last BN gamma of each residual block"),
      field("model.sync_bn", FASTIMG_FIELD(model.sync_bn), {},
            "SyncBatchNorm: with several ranks, training-mode BatchNorm uses the global batch's statistics"),
      field("model.num_classes", FASTIMG_FIELD(model.options.num_classes), at_least(0),
            "0 = max label in the training file + 1; the data's labels are checked against it"),
  };
}

std::vector<Setting> optimizer_settings() {
  return {
      field("optimizer.name", FASTIMG_FIELD(optimizer.name), {}, "optimizer", optim::optimizer_names),
      field("optimizer.lr", FASTIMG_FIELD(optimizer.lr), above(0), "peak / base learning rate (the schedule scales it)"),
      field("optimizer.momentum", FASTIMG_FIELD(optimizer.momentum), fraction_open_above(), "SGD and schedule-free SGD momentum"),
      field("optimizer.nesterov", FASTIMG_FIELD(optimizer.nesterov), {}, "Nesterov momentum (SGD)"),
      field("optimizer.weight_decay", FASTIMG_FIELD(optimizer.weight_decay), at_least(0), "L2 (coupled) decay; decoupled for AdamW"),
      field("optimizer.decay_bn_and_bias", FASTIMG_FIELD(optimizer.decay_bn_and_bias), {},
            "false = no weight decay on normalization parameters and biases"),
      field("optimizer.no_decay_rule", FASTIMG_FIELD(optimizer.no_decay_rule), {},
            "what \"BN and bias\" means: normalization modules and biases, or \"bn\"/\"bias\" in the name (the "
            "reproduction project's rule)",
            [] { return std::vector<std::string>{"module_type", "name"}; }),
      field("optimizer.beta1", FASTIMG_FIELD(optimizer.beta1), fraction_open_above(), "Adam, AdamW, schedule-free AdamW"),
      field("optimizer.beta2", FASTIMG_FIELD(optimizer.beta2), fraction_open_above(), "Adam, AdamW, schedule-free AdamW"),
      field("optimizer.eps", FASTIMG_FIELD(optimizer.eps), above(0), "Adam, AdamW, schedule-free AdamW"),
      field("optimizer.warmup_steps", FASTIMG_FIELD(optimizer.warmup_steps), at_least(0), "schedule-free warm-up steps"),
      field("optimizer.r", FASTIMG_FIELD(optimizer.r), at_least(0), "schedule-free weighting power r"),
      field("optimizer.weight_lr_power", FASTIMG_FIELD(optimizer.weight_lr_power), at_least(0),
            "schedule-free weight of lr_max"),
      field("optimizer.rho", FASTIMG_FIELD(optimizer.rho), above(0), "SAM radius"),
      field("optimizer.sam_adaptive", FASTIMG_FIELD(optimizer.sam_adaptive), {}, "adaptive SAM (perturbation scaled by \\|w\\|)"),
      field("optimizer.sam_base", FASTIMG_FIELD(optimizer.sam_base), {}, "the optimizer SAM wraps", sam_bases),
      field("optimizer.label_smoothing", FASTIMG_FIELD(step.label_smoothing), fraction_open_above(),
            "label smoothing of the cross-entropy (PyTorch's definition)"),
      field("optimizer.grad_clip", FASTIMG_FIELD(step.grad_clip), at_least(0), "clip the global gradient norm to this; 0 = off"),
      field("optimizer.grad_accumulation", FASTIMG_FIELD(step.grad_accumulation), at_least(1),
            "loader batches per optimizer step (effective batch = `data.batch_size` × this × world size)"),
  };
}

std::vector<Setting> schedule_and_run_settings() {
  return {
      field("schedule.name", FASTIMG_FIELD(schedule.name), {}, "lr schedule, stepped every iteration; `triangular` is FFCV's",
            optim::schedule_names),
      field("schedule.lr_peak_epoch", FASTIMG_FIELD(schedule.lr_peak_epoch), at_least(0), "triangular: epoch of the peak"),
      field("schedule.initial_fraction", FASTIMG_FIELD(schedule.initial_fraction), between(0, 1),
            "triangular: lr at epoch 0 as a fraction of lr"),
      field("schedule.warmup_epochs", FASTIMG_FIELD(schedule.warmup_epochs), at_least(0),
            "linear warm-up length (step, cosine, linear, constant)"),
      field("schedule.warmup_start_fraction", FASTIMG_FIELD(schedule.warmup_start_fraction), fraction_open_below(),
            "warm-up starts at this fraction of lr"),
      field("schedule.milestones", FASTIMG_FIELD(schedule.milestones), at_least(0), "step: epochs where lr is multiplied by gamma"),
      field("schedule.step_size", FASTIMG_FIELD(schedule.step_size), above(0), "step: every N epochs when no milestones"),
      field("schedule.gamma", FASTIMG_FIELD(schedule.gamma), above(0), "step: factor"),
      field("schedule.min_lr", FASTIMG_FIELD(schedule.min_lr), at_least(0), "cosine/linear: lr at the last epoch"),
      field("train.epochs", FASTIMG_FIELD(schedule.epochs), at_least(1), "epochs"),
      field("train.min_res", FASTIMG_FIELD(train.resolution.min_res), at_least(1),
            "progressive resizing: this resolution until start_ramp"),
      field("train.max_res", FASTIMG_FIELD(train.resolution.max_res), at_least(1), "progressive resizing: from end_ramp on"),
      field("train.start_ramp", FASTIMG_FIELD(train.resolution.start_ramp), at_least(0), "first epoch of the ramp"),
      field("train.end_ramp", FASTIMG_FIELD(train.resolution.end_ramp), at_least(0), "epoch where the ramp reaches max_res"),
      field("train.res_multiple", FASTIMG_FIELD(train.resolution.multiple), at_least(1),
            "ramp resolutions are rounded to multiples of this"),
      choice("train.precision", FASTIMG_FIELD(train.precision), EnumNames<Precision>(kPrecisionNames),
             "`bf16` autocast, `fp16` autocast + dynamic loss scaling (inf/nan steps skipped and counted)"),
      field("train.channels_last", FASTIMG_FIELD(train.channels_last), {}, "NHWC weights and inputs"),
      choice("train.device", FASTIMG_FIELD(train.device), EnumNames<DeviceChoice>(kDeviceNames), "where to train"),
      field("train.cuda_graphs", FASTIMG_FIELD(train.cuda_graphs), {},
            "replay forward + backward as one CUDA graph per resolution (CUDA, one process, no SAM, no gradient "
            "accumulation; refused at start otherwise)"),
      field("train.seed", FASTIMG_FIELD(train.seed), at_least(0), "seeds the init, the data order and augmentation, dropout"),
      field("train.max_steps_per_epoch", FASTIMG_FIELD(train.max_steps_per_epoch), at_least(0),
            "cap on loader batches per epoch (tests, smoke runs); 0 = whole epoch"),
      field("train.stop_after_epochs", FASTIMG_FIELD(train.stop_after_epochs), at_least(0),
            "stop this invocation after N epochs (resume later); 0 = run to the end"),
      field("train.log_every", FASTIMG_FIELD(train.log_every), at_least(1), "optimizer steps between metrics lines"),
  };
}

std::vector<Setting> validation_and_output_settings() {
  return {
      field("validation.res", FASTIMG_FIELD(validation.res), at_least(1), "validation resolution"),
      field("validation.crop_ratio", FASTIMG_FIELD(validation.augment.crop_ratio), fraction_open_below(),
            "centre crop side over the shorter side (FFCV 224/256; 1 with `resize_then_crop` is the reproduction project's)"),
      choice("validation.resize", FASTIMG_FIELD(validation.augment.mode),
             EnumNames<augment::CenterCropMode>(kCenterCropModeNames),
             "`crop_then_resize` (FFCV) or `resize_then_crop` (torchvision Resize(res / ratio) + CenterCrop(res))"),
      field("validation.tta_flip", FASTIMG_FIELD(validation.tta_flip), {}, "average the logits of each image and its mirror"),
      field("validation.eval_every", FASTIMG_FIELD(validation.eval_every), at_least(0),
            "evaluate every N epochs (and always after the last); 0 = only after the last"),
      choice("validation.bn_recalibration", FASTIMG_FIELD(validation.bn_recalibration),
             EnumNames<BnRecalibration>(kBnRecalibrationNames),
             "recompute BatchNorm statistics on training images before evaluating (schedule-free needs it)"),
      field("validation.bn_recalibration_samples", FASTIMG_FIELD(validation.bn_recalibration_samples), at_least(1),
            "training samples used for that"),
      field("output.run_dir", FASTIMG_FIELD(output.run_dir), {}, "run directory"),
      field("output.progress", FASTIMG_FIELD(output.progress), {}, "progress bar (a terminal) or plain log lines"),
      choice("output.resume", FASTIMG_FIELD(output.resume), EnumNames<ResumeMode>(kResumeNames),
             "`true`: continue from `run_dir/last.pt` if it exists; `auto`: from the newest readable checkpoint "
             "(last.pt or periodic), skipping a damaged one with a warning"),
      field("output.checkpoint_every_steps", FASTIMG_FIELD(output.checkpoint_every_steps), at_least(0),
            "write a resumable mid-epoch checkpoint every N optimizer steps (run_dir/checkpoints/); 0 = off"),
      field("output.checkpoint_every_minutes", FASTIMG_FIELD(output.checkpoint_every_minutes), at_least(0),
            "the same every N minutes of training (rank 0's clock); 0 = off"),
      field("output.keep_checkpoints", FASTIMG_FIELD(output.keep_checkpoints), at_least(1),
            "periodic checkpoints kept, newest first (last.pt and best.pt are kept as well)"),
  };
}

#undef FASTIMG_FIELD

std::string number_text(double v) { return fmt::format("{}", v); }

}  // namespace

bool Range::contains(double v) const {
  if (min && (min_exclusive ? v <= *min : v < *min)) return false;
  if (max && (max_exclusive ? v >= *max : v > *max)) return false;
  return true;
}

std::string Range::describe() const {
  if (min && max)
    return fmt::format("in {}{}, {}{}", min_exclusive ? "(" : "[", number_text(*min), number_text(*max),
                       max_exclusive ? ")" : "]");
  if (min) return fmt::format("{} {}", min_exclusive ? ">" : ">=", number_text(*min));
  if (max) return fmt::format("{} {}", max_exclusive ? "<" : "<=", number_text(*max));
  return "";
}

std::string Setting::type_name() const {
  switch (type) {
    case SettingType::kString: return "string";
    case SettingType::kInt: return "int";
    case SettingType::kFloat: return "float";
    case SettingType::kBool: return "bool";
    case SettingType::kFloatList: return "float array";
    case SettingType::kChoice: return "string";
  }
  return "?";
}

std::string Setting::allowed() const {
  if (choices) {
    const auto names = choices();
    std::string list;
    for (size_t i = 0; i < names.size(); ++i)
      list += fmt::format("{}{}", i == 0 ? "" : (i + 1 == names.size() ? " or " : ", "), names[i]);
    return list;
  }
  const std::string r = range.describe();
  if (r.empty()) return "";
  const char* noun = type == SettingType::kInt ? "an integer" : "a number";
  return fmt::format("{} {}", noun, r);
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = [] {
    std::vector<Setting> all;
    for (auto part : {data_and_model_settings, optimizer_settings, schedule_and_run_settings,
                      validation_and_output_settings})
      for (auto& s : part()) all.push_back(std::move(s));
    return all;
  }();
  return table;
}

const Setting* find_setting(std::string_view key) {
  for (const auto& s : settings())
    if (s.key == key) return &s;
  return nullptr;
}

std::string known_keys_hint() {
  std::vector<std::string> keys;
  for (const auto& s : settings()) keys.push_back(s.key);
  return fmt::format("known keys: {}", fmt::join(keys, ", "));
}

}  // namespace fastimg::train
