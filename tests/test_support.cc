#include "test_support.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

namespace fastimg::testing {
namespace {
std::filesystem::path env_path(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return std::filesystem::path(v && *v ? v : fallback);
}
}  // namespace

std::filesystem::path shared_dir() { return env_path("FASTIMG_SHARED_DIR", FASTIMG_DEFAULT_SHARED_DIR); }
std::filesystem::path source_dir() { return env_path("FASTIMG_SOURCE_DIR", FASTIMG_DEFAULT_SOURCE_DIR); }
std::filesystem::path binary_dir() { return env_path("FASTIMG_BINARY_DIR", FASTIMG_DEFAULT_BINARY_DIR); }
std::filesystem::path fastimg_exe() { return binary_dir() / "fastimg"; }

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() / fmt::format("fastimg-test-{}-{:08x}", getpid(), rd());
  std::filesystem::create_directories(path_);
}
TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult run_command(const std::string& command) {
  std::string full = command + " 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return {code, out};
}

CommandResult run_python(const std::string& script, const std::string& args) {
  const char* py = std::getenv("FASTIMG_PYTHON");
  std::string cmd = fmt::format("{} {} {}", py && *py ? py : FASTIMG_DEFAULT_PYTHON,
                                (source_dir() / "tests" / "python" / script).string(), args);
  auto result = run_command(cmd);
  if (result.exit_code != 0) ADD_FAILURE() << "python reference failed: " << cmd << "\n" << result.output;
  return result;
}

std::filesystem::path generated_once(const std::filesystem::path& dir, const std::filesystem::path& script,
                                     const std::string& command) {
  namespace fs = std::filesystem;
  const fs::path stamp = dir / "done";
  fs::create_directories(dir.parent_path());
  const int lock = ::open((dir.string() + ".lock").c_str(), O_CREAT | O_RDWR, 0644);
  ::flock(lock, LOCK_EX);
  if (!fs::exists(stamp) || fs::last_write_time(stamp) < fs::last_write_time(script)) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    const CommandResult result = run_command(command);
    if (result.exit_code == 0) {
      std::ofstream(stamp) << "ok\n";
    } else {
      ADD_FAILURE() << script.filename().string() << " failed:\n" << result.output;
    }
  }
  ::flock(lock, LOCK_UN);
  ::close(lock);
  return dir;
}

}  // namespace fastimg::testing
