#include "dist/local_launch.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>

#include "util/error.h"

namespace fastimg::dist {

int free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("free_tcp_port: socket: {}", std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // the kernel picks
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    fail("free_tcp_port: {}", std::strerror(err));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

namespace {

using Clock = std::chrono::steady_clock;

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Runs in the forked child: only async-signal-safe work until exec (the parent has threads).
[[noreturn]] void exec_rank(const std::vector<char*>& args, const std::vector<char*>& env, int log_fd) {
  if (log_fd >= 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
  }
  ::execve(args[0], args.data(), env.data());
  const char msg[] = "launch_local: exec failed\n";
  (void)!::write(STDERR_FILENO, msg, sizeof(msg) - 1);
  ::_exit(127);
}

}  // namespace

std::vector<RankExit> launch_local(const std::vector<std::string>& argv, const LocalLaunchOptions& options) {
  if (argv.empty()) fail("launch_local: no command");
  if (options.nproc < 1) fail("launch_local: --nproc must be at least 1 (got {})", options.nproc);
  const int port = options.master_port > 0 ? options.master_port : free_tcp_port();
  const int n = options.nproc;

  // Everything exec needs is built before fork: allocating in the child is unsafe.
  std::vector<std::string> inherited;
  const std::vector<std::string> ours = {
      "RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=", "MASTER_PORT="};
  for (char** e = environ; *e; ++e) {
    std::string var(*e);
    bool replaced = false;
    for (const auto& prefix : ours) replaced = replaced || var.rfind(prefix, 0) == 0;
    if (!replaced) inherited.push_back(std::move(var));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  std::vector<pid_t> pids(n, -1);
  std::vector<RankExit> exits(n);
  std::vector<bool> done(n, false);
  const auto start = Clock::now();
  auto kill_all = [&](int signal) {
    for (int r = 0; r < n; ++r)
      if (pids[r] > 0 && !done[r]) ::kill(pids[r], signal);
  };

  for (int r = 0; r < n; ++r) {
    std::vector<std::string> env_strings = inherited;
    env_strings.push_back(fmt::format("RANK={}", r));
    env_strings.push_back(fmt::format("WORLD_SIZE={}", n));
    env_strings.push_back(fmt::format("LOCAL_RANK={}", r));
    env_strings.push_back(fmt::format("LOCAL_WORLD_SIZE={}", n));
    env_strings.push_back(fmt::format("MASTER_ADDR={}", options.master_addr));
    env_strings.push_back(fmt::format("MASTER_PORT={}", port));
    std::vector<char*> env;
    for (auto& s : env_strings) env.push_back(s.data());
    env.push_back(nullptr);
    int log_fd = -1;
    if (!options.log_dir.empty()) {
      auto path = fmt::format("{}/rank{}.log", options.log_dir, r);
      log_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (log_fd < 0) {
        kill_all(SIGKILL);
        fail("launch_local: cannot write {}: {}", path, std::strerror(errno));
      }
    }
    pid_t pid = ::fork();
    if (pid == 0) exec_rank(args, env, log_fd);
    if (log_fd >= 0) ::close(log_fd);
    if (pid < 0) {
      kill_all(SIGKILL);
      fail("launch_local: fork for rank {}: {}", r, std::strerror(errno));
    }
    pids[r] = pid;
  }

  int remaining = n;
  std::optional<Clock::time_point> first_failure;
  bool terminated = false, timed_out = false;
  while (remaining > 0) {
    bool reaped = false;
    for (int r = 0; r < n; ++r) {
      if (done[r]) continue;
      int status = 0;
      pid_t got = ::waitpid(pids[r], &status, WNOHANG);
      if (got != pids[r]) continue;
      done[r] = true;
      reaped = true;
      --remaining;
      exits[r].exit_code = exit_code_of(status);
      exits[r].seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (exits[r].exit_code != 0 && !first_failure) first_failure = Clock::now();
    }
    if (remaining == 0) break;
    const auto now = Clock::now();
    if (options.timeout.count() > 0 && now - start > options.timeout && !timed_out) {
      for (int r = 0; r < n; ++r) exits[r].timed_out = !done[r];
      kill_all(SIGKILL);
      timed_out = true;
    } else if (first_failure && !terminated && now - *first_failure > options.kill_grace) {
      kill_all(SIGTERM);
      terminated = true;
    }
    if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return exits;
}

}  // namespace fastimg::dist
