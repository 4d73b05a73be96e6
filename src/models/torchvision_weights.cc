#include "models/torchvision_weights.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "util/error.h"

namespace fastimg::models {
namespace {

// Buffers we add that torchvision has not (fixed BlurPool filters): may be absent from a file.
bool is_optional(const std::string& key) {
  const std::string suffix = "blur_filter";
  return key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string shape(const torch::Tensor& t) { return fmt::format("[{}]", fmt::join(t.sizes(), ", ")); }

// At most a few names, so an error stays one readable line.
std::string some(const std::vector<std::string>& keys) {
  const size_t shown = std::min<size_t>(keys.size(), 5);
  std::vector<std::string> head(keys.begin(), keys.begin() + shown);
  return fmt::format("{}{}", fmt::join(head, ", "),
                     keys.size() > shown ? fmt::format(" and {} more", keys.size() - shown) : "");
}

}  // namespace

std::map<std::string, torch::Tensor> load_tensor_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open state_dict file", path);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const std::exception& e) {
    std::string what = e.what();
    fail("{}: not a torch.save file: {}", path, what.substr(0, what.find('\n')));
  }
  if (!value.isGenericDict()) fail("{}: expected a dict of tensors (torch.save(dict(model.state_dict())))", path);
  std::map<std::string, torch::Tensor> tensors;
  for (auto& item : value.toGenericDict()) {
    if (!item.key().isString() || !item.value().isTensor())
      fail("{}: expected a dict of str -> tensor", path);
    tensors[item.key().toStringRef()] = item.value().toTensor();
  }
  return tensors;
}

void load_torchvision_state_dict(torch::nn::Module& model, const std::string& path) {
  auto tensors = load_tensor_dict(path);
  std::map<std::string, torch::Tensor> targets;
  for (auto& item : model.named_parameters()) targets[item.key()] = item.value();
  for (auto& item : model.named_buffers()) targets[item.key()] = item.value();

  std::vector<std::string> missing, unexpected, mismatched;
  for (auto& [key, target] : targets) {
    auto it = tensors.find(key);
    if (it == tensors.end()) {
      if (!is_optional(key)) missing.push_back(key);
    } else if (it->second.sizes() != target.sizes()) {
      mismatched.push_back(fmt::format("{} (file {}, model {})", key, shape(it->second), shape(target)));
    }
  }
  for (auto& [key, tensor] : tensors)
    if (!targets.count(key)) unexpected.push_back(key);
  if (!missing.empty()) fail("{}: {} keys of the model are missing: {}", path, missing.size(), some(missing));
  if (!unexpected.empty())
    fail("{}: {} keys are not in the model: {}", path, unexpected.size(), some(unexpected));
  if (!mismatched.empty()) fail("{}: shapes differ: {}", path, some(mismatched));

  torch::NoGradGuard no_grad;
  for (auto& [key, target] : targets) {
    auto it = tensors.find(key);
    if (it != tensors.end()) target.copy_(it->second);  // keeps the model's device and memory format
  }
}

void save_torchvision_state_dict(torch::nn::Module& model, const std::string& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (auto& item : model.named_parameters()) dict.insert(item.key(), item.value().detach().cpu().contiguous());
  for (auto& item : model.named_buffers()) dict.insert(item.key(), item.value().cpu().contiguous());
  auto bytes = torch::pickle_save(c10::IValue(dict));
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) fail("{}: cannot write state_dict file", path);
}

}  // namespace fastimg::models
