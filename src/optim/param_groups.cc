#include "optim/param_groups.h"

#include <set>

#include "util/error.h"

namespace fastimg::optim {
namespace {

// Chosen by type, not by name, so that any model's normalization layers are found.
bool is_normalization(torch::nn::Module& module) {
  namespace nn = torch::nn;
  return module.as<nn::BatchNorm1d>() || module.as<nn::BatchNorm2d>() || module.as<nn::BatchNorm3d>() ||
         module.as<nn::LayerNorm>() || module.as<nn::GroupNorm>() || module.as<nn::InstanceNorm1d>() ||
         module.as<nn::InstanceNorm2d>() || module.as<nn::InstanceNorm3d>() || module.as<nn::LocalResponseNorm>();
}

}  // namespace

NoDecayRule parse_no_decay_rule(const std::string& name) {
  if (name == "module_type") return NoDecayRule::kModuleType;
  if (name == "name") return NoDecayRule::kName;
  fail("unknown no-decay rule '{}' (known: module_type, name)", name);
}

std::vector<std::string> no_decay_parameter_names(torch::nn::Module& model, NoDecayRule rule) {
  std::vector<std::string> names;
  if (rule == NoDecayRule::kName) {
    for (const auto& item : model.named_parameters()) {
      if (item.key().find("bn") != std::string::npos || item.key().find("bias") != std::string::npos) {
        names.push_back(item.key());
      }
    }
    return names;
  }
  for (const auto& module : model.named_modules()) {
    const bool norm = is_normalization(*module.value());
    for (const auto& param : module.value()->named_parameters(/*recurse=*/false)) {
      if (norm || param.key() == "bias") {
        names.push_back(module.key().empty() ? param.key() : module.key() + "." + param.key());
      }
    }
  }
  return names;
}

std::vector<ParamGroup> make_param_groups(torch::nn::Module& model, double weight_decay, bool decay_bn_and_bias,
                                          NoDecayRule rule) {
  if (decay_bn_and_bias) return {ParamGroup{model.parameters(), weight_decay}};
  const std::vector<std::string> exempt = no_decay_parameter_names(model, rule);
  const std::set<std::string> exempt_set(exempt.begin(), exempt.end());
  ParamGroup decayed{{}, weight_decay}, not_decayed{{}, 0.0};
  for (const auto& item : model.named_parameters()) {
    (exempt_set.count(item.key()) ? not_decayed : decayed).params.push_back(item.value());
  }
  std::vector<ParamGroup> groups;
  if (!decayed.params.empty()) groups.push_back(std::move(decayed));
  if (!not_decayed.params.empty()) groups.push_back(std::move(not_decayed));
  return groups;
}

}  // namespace fastimg::optim
