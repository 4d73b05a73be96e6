#pragma once
// A progress bar for long commands: on a terminal it redraws one line with count, rate and ETA;
// otherwise (logs, CI) it prints a plain line every few seconds.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace fastimg {

class Progress {
 public:
  Progress(std::string label, uint64_t total, std::string unit = "img", bool enabled = true);
  ~Progress();
  // Thread-safe; cheap enough to call per item.
  void advance(uint64_t n = 1);
  // Optional extra text shown after the rate (e.g. "loss 2.31").
  void set_postfix(std::string text);
  void finish();
  double elapsed_seconds() const;

 private:
  void draw(bool final_line);

  std::string label_, unit_, postfix_;
  uint64_t total_, done_ = 0;
  bool enabled_, tty_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
  mutable std::mutex mutex_;
};

}  // namespace fastimg
