#include "optim/optimizer.h"

#include <fmt/ranges.h>

#include "optim/internal/state_io.h"
#include "util/error.h"

namespace fastimg::optim {

Optimizer::Optimizer(std::vector<ParamGroup> groups, double lr) : groups_(std::move(groups)), lr_(lr) {}

Optimizer::~Optimizer() = default;

torch::Tensor Optimizer::step(const std::function<torch::Tensor()>& closure) {
  torch::Tensor loss = closure();
  apply_gradients();
  return loss;
}

void Optimizer::save(torch::serialize::OutputArchive& archive) const {
  archive.write("optimizer", c10::IValue(name()));
  internal::write_double(archive, "lr", lr_);
}

void Optimizer::load(torch::serialize::InputArchive& archive) {
  c10::IValue saved;
  if (!archive.try_read("optimizer", saved) || !saved.isString()) {
    fail("optimizer state: no 'optimizer' entry (not an optimizer checkpoint)");
  }
  if (saved.toStringRef() != name()) {
    fail("optimizer state was saved by '{}', cannot load it into '{}'", saved.toStringRef(), name());
  }
  lr_ = internal::read_double(archive, "lr");
}

namespace internal {

PerParam empty_state(const std::vector<ParamGroup>& groups) {
  PerParam state(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) state[g].resize(groups[g].params.size());
  return state;
}

void write_state(torch::serialize::OutputArchive& archive, const std::string& key, const PerParam& state) {
  for (size_t g = 0; g < state.size(); ++g) {
    for (size_t i = 0; i < state[g].size(); ++i) {
      if (state[g][i].defined()) archive.write(fmt::format("{}.{}.{}", key, g, i), state[g][i], true);
    }
  }
}

void read_state(torch::serialize::InputArchive& archive, const std::string& key,
                const std::vector<ParamGroup>& groups, PerParam& state) {
  state = empty_state(groups);
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t i = 0; i < groups[g].params.size(); ++i) {
      torch::Tensor t;
      if (archive.try_read(fmt::format("{}.{}.{}", key, g, i), t, true)) {
        const torch::Tensor& p = groups[g].params[i];
        if (!t.sizes().equals(p.sizes())) {
          fail("optimizer state '{}.{}.{}' has shape {} but the parameter has {}", key, g, i,
               fmt::format("{}", fmt::join(t.sizes(), "x")), fmt::format("{}", fmt::join(p.sizes(), "x")));
        }
        state[g][i] = t.to(p.device()).clone();
      }
    }
  }
}

void write_double(torch::serialize::OutputArchive& archive, const std::string& key, double value) {
  archive.write(key, c10::IValue(value));
}

double read_double(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue value;
  if (!archive.try_read(key, value) || !value.isDouble()) fail("optimizer state: missing number '{}'", key);
  return value.toDouble();
}

void write_doubles(torch::serialize::OutputArchive& archive, const std::string& key,
                   const std::vector<std::vector<double>>& values) {
  archive.write(key + ".groups", c10::IValue(static_cast<int64_t>(values.size())));
  for (size_t g = 0; g < values.size(); ++g) {
    archive.write(fmt::format("{}.{}", key, g), torch::tensor(values[g], torch::kFloat64), true);
  }
}

std::vector<std::vector<double>> read_doubles(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue count;
  if (!archive.try_read(key + ".groups", count) || !count.isInt()) fail("optimizer state: missing '{}'", key);
  std::vector<std::vector<double>> values(count.toInt());
  for (size_t g = 0; g < values.size(); ++g) {
    torch::Tensor t;
    archive.read(fmt::format("{}.{}", key, g), t, true);
    t = t.to(torch::kFloat64).contiguous();
    values[g].assign(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
  }
  return values;
}

}  // namespace internal
}  // namespace fastimg::optim
