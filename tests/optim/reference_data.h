#pragma once
// The Python reference outputs (tests/python/optim_reference.py), generated once per build tree and
// reused by every test process: regenerated when the script is newer than the outputs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace fastimg::optim::testing {

inline std::filesystem::path reference_dir() {
  const std::filesystem::path script = std::filesystem::path(FASTIMG_OPTIM_SOURCE_DIR) / "tests/python/optim_reference.py";
  return fastimg::testing::generated_once(FASTIMG_OPTIM_REFERENCE_DIR, script,
                                          std::string(FASTIMG_OPTIM_PYTHON) + " " + script.string() + " " +
                                              FASTIMG_OPTIM_REFERENCE_DIR);
}

inline c10::Dict<c10::IValue, c10::IValue> load_reference(const std::string& name) {
  std::ifstream in(reference_dir() / (name + ".pt"), std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing reference output " << name;
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return torch::pickle_load(bytes).toGenericDict();
}

inline std::vector<torch::Tensor> tensors(const c10::Dict<c10::IValue, c10::IValue>& dict, const std::string& key) {
  std::vector<torch::Tensor> out;
  for (const c10::IValue& v : dict.at(key).toListRef()) out.push_back(v.toTensor());
  return out;
}

inline std::vector<double> doubles(const c10::Dict<c10::IValue, c10::IValue>& dict, const std::string& key) {
  std::vector<double> out;
  for (const c10::IValue& v : dict.at(key).toListRef()) out.push_back(v.toDouble());
  return out;
}

}  // namespace fastimg::optim::testing
