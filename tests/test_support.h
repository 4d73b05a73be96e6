#pragma once
// Helpers shared by all tests: where shared/ and the source tree are, scratch directories, and
// running the Python reference scripts in tests/python.
#include <filesystem>
#include <string>

namespace fastimg::testing {

// ../shared (FASTIMG_SHARED_DIR), e.g. shared_dir() / "data/imagenet-sample".
std::filesystem::path shared_dir();
std::filesystem::path source_dir();
std::filesystem::path binary_dir();
// The fastimg executable in the build tree.
std::filesystem::path fastimg_exe();

// A fresh empty directory, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr together
};
// Runs a shell command, capturing its output.
CommandResult run_command(const std::string& command);
// Runs tests/python/<script> with the given arguments under the configured python3; fails the
// calling test (ADD_FAILURE) with the script's output if it exits non-zero.
CommandResult run_python(const std::string& script, const std::string& args);

// Reference outputs a script writes into `dir`, generated once per build tree and again when
// `script` is newer than them: the first test process runs `command` (a `done` stamp marks
// success) while the others, running in parallel, wait on a lock next to dir. Returns dir; fails
// the calling test (ADD_FAILURE) with the script's output if it exits non-zero.
std::filesystem::path generated_once(const std::filesystem::path& dir, const std::filesystem::path& script,
                                     const std::string& command);

}  // namespace fastimg::testing
