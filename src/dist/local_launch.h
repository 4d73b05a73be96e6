#pragma once
// Starts N ranks of a command on this machine with the environment torchrun would give them
// (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT) and waits for them.
// Used by the multi-process tests and benchmark, and meant for `fastimg launch --nproc N -- ...`.
#include <chrono>
#include <string>
#include <vector>

namespace fastimg::dist {

struct LocalLaunchOptions {
  int nproc = 2;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  // 0: a free port picked here
  // 0: wait forever. Otherwise every rank still running at the deadline is killed (a hang is a failure).
  std::chrono::milliseconds timeout{0};
  // Empty: ranks share our stdout/stderr. Otherwise each rank writes <log_dir>/rank<r>.log.
  std::string log_dir;
  // When one rank fails, the others get SIGTERM after this grace period (they would otherwise
  // wait for it until their collective timeout), as torchrun does.
  std::chrono::milliseconds kill_grace{std::chrono::seconds(5)};
};

struct RankExit {
  int exit_code = 0;  // 128 + signal for a signalled rank, as a shell reports it
  bool timed_out = false;
  double seconds = 0;  // from launch to exit
};

// argv[0] is an executable path (no PATH search). Throws fastimg::Error if a rank cannot start.
std::vector<RankExit> launch_local(const std::vector<std::string>& argv, const LocalLaunchOptions& options);

// A TCP port on 127.0.0.1 that nobody listens on right now.
int free_tcp_port();

}  // namespace fastimg::dist
