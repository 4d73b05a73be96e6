#include "util/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "util/error.h"
#include "util/interrupt.h"

namespace fastimg {
namespace {

// Signal-safe registry of temp files to unlink on SIGINT/SIGTERM: fixed slots, no allocation.
constexpr int kSlots = 16;
constexpr int kPathMax = 4096;
std::array<std::atomic<bool>, kSlots> g_used{};
std::array<std::array<char, kPathMax>, kSlots> g_paths{};
std::once_flag g_install_once;

std::atomic<int> g_graceful_depth{0};
std::atomic<int> g_interrupt_signal{0};

void on_signal(int sig) {
  // Inside a GracefulInterrupts scope the first signal is only recorded.
  if (g_graceful_depth.load() > 0 && g_interrupt_signal.exchange(sig) == 0) return;
  for (int i = 0; i < kSlots; ++i) {
    if (g_used[i].load()) unlink(g_paths[i].data());
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

void install_handlers() {
  std::call_once(g_install_once, [] {
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
  });
}

int register_temp(const std::string& path) {
  install_handlers();
  if (path.size() >= kPathMax) return -1;
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (!g_used[i].load() && g_paths[i][0] == 0) {
      std::memcpy(g_paths[i].data(), path.c_str(), path.size() + 1);
      if (g_used[i].compare_exchange_strong(expected, true)) return i;
      g_paths[i][0] = 0;
    }
  }
  return -1;
}

void unregister_temp(int slot) {
  if (slot < 0) return;
  g_used[slot].store(false);
  g_paths[slot][0] = 0;
}

}  // namespace

bool interrupt_requested() { return g_interrupt_signal.load() != 0; }
int interrupt_signal() { return g_interrupt_signal.load(); }

GracefulInterrupts::GracefulInterrupts() {
  install_handlers();
  g_graceful_depth.fetch_add(1);
}
GracefulInterrupts::~GracefulInterrupts() { g_graceful_depth.fetch_sub(1); }

AtomicFile::AtomicFile(std::string final_path)
    : final_path_(std::move(final_path)), temp_path_(final_path_ + ".tmp-" + std::to_string(getpid())) {
  fd_ = ::open(temp_path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("{}: cannot create: {}", final_path_, std::strerror(errno));
  slot_ = register_temp(temp_path_);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
  unregister_temp(slot_);
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) fail("{}: fsync failed: {}", final_path_, std::strerror(errno));
  ::close(fd_);
  fd_ = -1;
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0)
    fail("{}: cannot rename from {}: {}", final_path_, temp_path_, std::strerror(errno));
  committed_ = true;
}

void write_file_atomically(const std::string& path, const std::string& contents) {
  AtomicFile file(path);
  size_t off = 0;
  while (off < contents.size()) {
    ssize_t n = ::write(file.fd(), contents.data() + off, contents.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("{}: write failed: {}", path, std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  file.commit();
}

}  // namespace fastimg
