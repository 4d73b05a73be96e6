#pragma once
// Reading and writing optimizer state in torch archives. Per-parameter state is stored as
// group × parameter tensors under "<key>.<group>.<index>"; undefined (not yet created) entries are
// simply absent, so a fresh optimizer and a loaded one agree on which buffers exist.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "optim/optimizer.h"

namespace fastimg::optim::internal {

using PerParam = std::vector<std::vector<torch::Tensor>>;  // [group][param]

// Undefined tensors shaped like groups (one slot per parameter).
PerParam empty_state(const std::vector<ParamGroup>& groups);

void write_state(torch::serialize::OutputArchive& archive, const std::string& key, const PerParam& state);
// Reads into slots shaped like groups, placing each tensor on its parameter's device.
void read_state(torch::serialize::InputArchive& archive, const std::string& key,
                const std::vector<ParamGroup>& groups, PerParam& state);

void write_double(torch::serialize::OutputArchive& archive, const std::string& key, double value);
double read_double(torch::serialize::InputArchive& archive, const std::string& key);
void write_doubles(torch::serialize::OutputArchive& archive, const std::string& key,
                   const std::vector<std::vector<double>>& values);
std::vector<std::vector<double>> read_doubles(torch::serialize::InputArchive& archive,
                                              const std::string& key);

}  // namespace fastimg::optim::internal
