#include "optim/loss.h"

#include "util/error.h"

namespace fastimg::optim {

torch::Tensor label_smoothing_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets,
                                            double smoothing) {
  if (logits.dim() != 2 || targets.dim() != 1 || logits.size(0) != targets.size(0)) {
    fail("cross-entropy: expected logits [N, C] and targets [N], got {} and {} dims", logits.dim(), targets.dim());
  }
  if (smoothing < 0 || smoothing > 1) fail("cross-entropy: label smoothing {} outside [0, 1]", smoothing);
  // fp16/bf16 logits (autocast) are reduced in fp32, as autocast does for cross_entropy.
  const torch::Tensor x = at::isReducedFloatingType(logits.scalar_type()) ? logits.to(torch::kFloat32) : logits;
  const torch::Tensor log_probs = torch::log_softmax(x, 1);
  const torch::Tensor nll = -log_probs.gather(1, targets.unsqueeze(1)).squeeze(1);
  if (smoothing == 0) return nll.mean();
  const torch::Tensor uniform = -log_probs.mean(1);
  return ((1 - smoothing) * nll + smoothing * uniform).mean();
}

}  // namespace fastimg::optim
