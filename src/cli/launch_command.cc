// fastimg launch --nproc N -- train --config ...: N ranks on this machine with the environment
// torchrun would give them (for users without torchrun).
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <climits>
#include <string>
#include <vector>

#include "cli/command.h"
#include "dist/local_launch.h"
#include "util/error.h"

namespace fastimg::cli {
namespace {

std::string self_executable() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) fail("launch: cannot find the fastimg executable (/proc/self/exe)");
  return std::string(buf, static_cast<size_t>(n));
}

struct LaunchArgs {
  int nproc = 2;
  int master_port = 0;
  double timeout_minutes = 0;
  std::string log_dir;
  std::vector<std::string> command;
};

void setup(CLI::App& app) {
  auto args = std::make_shared<LaunchArgs>();
  app.add_option("--nproc", args->nproc, "ranks to start")->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_option("--master-port", args->master_port, "rendezvous port (0 = a free one)")->capture_default_str();
  app.add_option("--timeout-minutes", args->timeout_minutes, "kill every rank after this long (0 = never)");
  app.add_option("--log-dir", args->log_dir, "write rank<r>.log files here instead of sharing the terminal");
  app.add_option("command", args->command, "the fastimg subcommand and its arguments (after --)")->required();
  app.callback([args] {
    std::vector<std::string> argv = {self_executable()};
    argv.insert(argv.end(), args->command.begin(), args->command.end());
    dist::LocalLaunchOptions options;
    options.nproc = args->nproc;
    options.master_port = args->master_port;
    options.log_dir = args->log_dir;
    if (!options.log_dir.empty()) std::filesystem::create_directories(options.log_dir);
    options.timeout = std::chrono::milliseconds(static_cast<int64_t>(args->timeout_minutes * 60000));
    auto exits = dist::launch_local(argv, options);
    int failed = 0;
    for (size_t r = 0; r < exits.size(); ++r) {
      if (exits[r].exit_code == 0) continue;
      ++failed;
      fmt::print(stderr, "fastimg launch: rank {} exited with {}{}\n", r, exits[r].exit_code,
                 exits[r].timed_out ? " (timed out)" : "");
    }
    if (failed > 0) fail("launch: {} of {} ranks failed", failed, exits.size());
  });
}

const bool registered = register_command({"launch", "run a command on N local ranks (like torchrun)", setup});

}  // namespace
}  // namespace fastimg::cli
