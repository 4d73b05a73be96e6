#pragma once
// Gradient-norm clipping that stays on the device: the total norm is never read back to the host,
// so a training step needs no synchronisation for it (LibTorch's clip_grad_norm_ returns a double,
// which waits for the GPU). Same result as torch.nn.utils.clip_grad_norm_ (foreach path): every
// gradient is scaled by min(1, max_norm / (total_norm + 1e-6)).
#include <torch/torch.h>

#include <vector>

namespace fastimg::optim {

// Returns the total L2 norm of the gradients before clipping (a 0-dim tensor on their device).
torch::Tensor clip_grad_norm_on_device(const std::vector<torch::Tensor>& params, double max_norm);

}  // namespace fastimg::optim
