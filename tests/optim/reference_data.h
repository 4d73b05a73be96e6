#pragma once
// The Python reference outputs (tests/python/optim_reference.py), generated once per build tree and
// reused by every test process: regenerated when the script is newer than the outputs.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace fastimg::optim::testing {

inline std::filesystem::path reference_dir() {
  namespace fs = std::filesystem;
  const fs::path dir = FASTIMG_OPTIM_REFERENCE_DIR;
  const fs::path script = fs::path(FASTIMG_OPTIM_SOURCE_DIR) / "tests/python/optim_reference.py";
  const fs::path stamp = dir / "done";
  fs::create_directories(dir.parent_path());
  // Test processes run in parallel: one generates while the others wait on the lock.
  const int lock = ::open((dir.string() + ".lock").c_str(), O_CREAT | O_RDWR, 0644);
  ::flock(lock, LOCK_EX);
  if (!fs::exists(stamp) || fs::last_write_time(stamp) < fs::last_write_time(script)) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    const auto result = fastimg::testing::run_command(std::string(FASTIMG_OPTIM_PYTHON) + " " + script.string() +
                                                      " " + dir.string());
    if (result.exit_code == 0) {
      std::ofstream(stamp) << "ok\n";
    } else {
      ADD_FAILURE() << "optim_reference.py failed:\n" << result.output;
    }
  }
  ::flock(lock, LOCK_UN);
  ::close(lock);
  return dir;
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
