#pragma once
// Splitting a model's parameters into a decayed and a non-decayed group.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "optim/optimizer.h"

namespace fastimg::optim {

enum class NoDecayRule {
  kModuleType,  // parameters of BatchNorm/LayerNorm/GroupNorm/InstanceNorm modules, and every bias
  kName,        // the reproduction project's rule: the full name contains "bn" or "bias"
};
NoDecayRule parse_no_decay_rule(const std::string& name);  // "module_type" | "name"

// Full names ("layer1.0.bn1.weight") of the parameters the rule exempts from weight decay.
std::vector<std::string> no_decay_parameter_names(torch::nn::Module& model, NoDecayRule rule);

// decay_bn_and_bias: one group with weight_decay over model.parameters(). Otherwise two groups,
// [decayed (weight_decay), exempt (0)], each in model.parameters() order; empty groups are dropped.
std::vector<ParamGroup> make_param_groups(torch::nn::Module& model, double weight_decay, bool decay_bn_and_bias,
                                          NoDecayRule rule = NoDecayRule::kModuleType);

}  // namespace fastimg::optim
