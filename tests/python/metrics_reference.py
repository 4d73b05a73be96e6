"""Reference top-k counts, flip-TTA averaging and label-smoothed loss for tensors saved by the C++ test.

Input: a file written with torch::pickle_save holding [logits, logits_of_flipped, labels].
Prints: top1 top5 (counts over the averaged logits) and the mean label-smoothed (0.1) loss.
"""
import sys

import torch
import torch.nn.functional as F

logits, flipped, labels = torch.load(sys.argv[1], weights_only=False)
avg = 0.5 * (logits + flipped)  # test-time flip augmentation: mean of the two views' logits
top5 = avg.topk(5, dim=1).indices
hits = top5.eq(labels.view(-1, 1))
top1 = int(hits[:, 0].sum())
top5_count = int(hits.any(dim=1).sum())
loss = F.cross_entropy(avg, labels, label_smoothing=0.1).item()
print(top1, top5_count, repr(loss))
