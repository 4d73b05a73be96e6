#pragma once
// Cross-entropy with label smoothing, PyTorch's definition (F.cross_entropy(label_smoothing=ε)):
// the target distribution is (1−ε)·onehot + ε/C, so loss = (1−ε)·NLL + ε·mean_c(−log p_c),
// averaged over the batch.
#include <torch/torch.h>

namespace fastimg::optim {

// logits [N, C] (any floating dtype; computed in at least fp32), targets [N] int64 class indices.
torch::Tensor label_smoothing_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets,
                                            double smoothing);

}  // namespace fastimg::optim
