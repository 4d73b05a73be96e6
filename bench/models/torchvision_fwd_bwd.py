"""Baseline for bench/models: torchvision forward+backward seconds per image, as JSON {model: s}.

Mirrors models_benchmark.cc exactly: train mode, random input, loss = logits.sum(), gradients
dropped between steps, fastest of --iters timed steps after one warm-up step (the machine may be
shared: the fastest step is the least disturbed one).
"""
import argparse
import json
import time

import torch
import torchvision


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="resnet18,resnet50")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--resolution", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--channels-last", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    result = {}
    for name in a.models.split(","):
        model = getattr(torchvision.models, name)().train().to(memory_format=fmt)
        x = torch.randn(a.batch, 3, a.resolution, a.resolution).contiguous(memory_format=fmt)
        times = []
        for i in range(a.iters + 1):
            start = time.perf_counter()
            model(x).sum().backward()
            model.zero_grad(set_to_none=True)
            if i > 0:
                times.append(time.perf_counter() - start)
        result[name] = min(times) / a.batch
    print(json.dumps(result))


if __name__ == "__main__":
    main()
