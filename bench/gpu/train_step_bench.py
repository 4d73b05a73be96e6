"""Baseline (a) for bench/gpu: PyTorch eager training step images/s on synthetic GPU data.

torchvision model, channels-last, bf16 autocast, SGD (momentum 0.9, nesterov off, wd 5e-5,
fused=True like fastimg's SGD), label-smoothed cross-entropy; batches already on the GPU. Prints one
JSON object per configuration: {"model", "batch", "resolution", "images_per_s"}. Mirrors
train_step_bench.cc step for step.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F
import torchvision


def bench(name, batch, res, warmup, iters):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(num_classes=1000).cuda().to(memory_format=torch.channels_last).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-5, fused=True)
    x = torch.randn(batch, 3, res, res, device="cuda").to(dtype=torch.bfloat16, memory_format=torch.channels_last)
    y = torch.randint(0, 1000, (batch,), device="cuda")

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        loss.backward()
        opt.step()

    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(iters):
        step()
    torch.cuda.synchronize()
    return batch * iters / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="resnet18,resnet50")
    p.add_argument("--batches", default="256,512")
    p.add_argument("--resolutions", default="160,192")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--iters", type=int, default=50)
    a = p.parse_args()
    torch.backends.cudnn.benchmark = True
    for name in a.models.split(","):
        for batch in map(int, a.batches.split(",")):
            for res in map(int, a.resolutions.split(",")):
                ips = bench(name, batch, res, a.warmup, a.iters)
                print(json.dumps({"model": name, "batch": batch, "resolution": res, "images_per_s": ips}), flush=True)
                torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
