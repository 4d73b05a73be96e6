#include "util/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace fastimg {

Progress::Progress(std::string label, uint64_t total, std::string unit, bool enabled)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(enabled),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(uint64_t n) {
  std::lock_guard lock(mutex_);
  done_ += n;
  auto now = std::chrono::steady_clock::now();
  // Terminals redraw ~10x/s; logs get a line every 5 s so CI output stays short.
  auto interval = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
  if (now - last_draw_ >= interval) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::set_postfix(std::string text) {
  std::lock_guard lock(mutex_);
  postfix_ = std::move(text);
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final_line) {
  if (!enabled_) return;
  double secs = elapsed_seconds();
  double rate = secs > 0 ? done_ / secs : 0.0;
  double eta = (rate > 0 && total_ > done_) ? (total_ - done_) / rate : 0.0;
  std::string bar;
  if (tty_ && total_ > 0) {
    constexpr int kWidth = 30;
    int filled = static_cast<int>(kWidth * static_cast<double>(done_) / total_);
    bar = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
  }
  std::string line = fmt::format("{} {}{}/{} {:.1f} {}/s {} {:.0f}s{}", label_, bar, done_, total_, rate, unit_,
                                 final_line ? "took" : "ETA", final_line ? secs : eta,
                                 postfix_.empty() ? "" : "  " + postfix_);
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace fastimg
