#pragma once
// Every value the training loop copies back from the device goes through read_to_host(), so that
// tests can count host synchronisations (on a GPU each one waits for the whole queued step).
#include <torch/torch.h>

#include <cstdint>

namespace fastimg::train {

// `t` on the CPU (a copy when it is on another device); counted.
torch::Tensor read_to_host(const torch::Tensor& t);
// Reads so far in this process.
int64_t host_reads();

}  // namespace fastimg::train
