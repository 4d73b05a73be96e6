#pragma once
// Graceful stop on SIGINT/SIGTERM for long jobs. While a GracefulInterrupts scope is alive, the
// first SIGINT/SIGTERM only sets a flag that the job polls at a safe point (the trainer: between
// steps, to write a resumable checkpoint); a second one ends the process at once (removing any
// temp files of util/atomic_file.h, as without the scope).
namespace fastimg {

bool interrupt_requested();
// The signal that was received (0 = none).
int interrupt_signal();

class GracefulInterrupts {
 public:
  GracefulInterrupts();
  ~GracefulInterrupts();
  GracefulInterrupts(const GracefulInterrupts&) = delete;
  GracefulInterrupts& operator=(const GracefulInterrupts&) = delete;
};

}  // namespace fastimg
