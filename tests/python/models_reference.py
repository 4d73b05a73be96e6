"""Reference outputs of torchvision models for tests/models.

Builds a torchvision model (seeded), perturbs the parameters that start constant (BN affine and
running statistics, ViT class token and zero head) so that every weight matters, and writes to --out:
  weights.pt  dict(state_dict) in torchvision's key names (BlurPool: FFCV's conv1.conv.weight is
              saved as conv1.weight, the filter as conv1.blur_filter, fastimg's names)
  io.pt       input, logits_eval, logits_train, loss_weight, grad_input, grad.<param> for the first
              and last parameter, after.<buffer> for every BN running statistic after the train step.
Train mode uses batch statistics for BN and sets every Dropout's p to 0 so outputs are comparable.
The loss is sum(logits_train * loss_weight). With --channels-last, io_channels_last.pt holds the
same run with model and input in channels-last (same weights and input).
"""
import argparse
import os

import torch
import torch.nn.functional as F
import torchvision


class BlurPoolConv2d(torch.nn.Module):
    """FFCV's BlurPool wrapper: a fixed depthwise binomial blur, then the wrapped conv."""

    def __init__(self, conv):
        super().__init__()
        filt = torch.tensor([[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]) / 16.0
        self.conv = conv
        self.register_buffer("blur_filter", filt.repeat(conv.in_channels, 1, 1, 1))

    def forward(self, x):
        blurred = F.conv2d(x, self.blur_filter, stride=1, padding=(1, 1), groups=self.conv.in_channels)
        return self.conv(blurred)


def apply_blurpool(module):
    for name, child in module.named_children():
        if isinstance(child, torch.nn.Conv2d) and max(child.stride) > 1 and child.in_channels >= 16:
            setattr(module, name, BlurPoolConv2d(child))
        else:
            apply_blurpool(child)


def perturb(model):
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
        if isinstance(model, torchvision.models.VisionTransformer):
            model.class_token.copy_(torch.randn(model.class_token.shape, generator=g) * 0.02)
            model.heads.head.weight.copy_(torch.randn(model.heads.head.weight.shape, generator=g) * 0.02)
            model.heads.head.bias.copy_(torch.randn(model.heads.head.bias.shape, generator=g) * 0.02)


def fastimg_key(key):
    return key.replace(".conv.weight", ".weight")  # FFCV wrapper -> conv keeps torchvision's name


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--resolution", type=int, default=64)
    p.add_argument("--num-classes", type=int, default=1000)
    p.add_argument("--blurpool", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--channels-last", action="store_true", help="also write io_channels_last.pt")
    a = p.parse_args()

    torch.manual_seed(a.seed)
    model = getattr(torchvision.models, a.model)(weights=None, num_classes=a.num_classes)
    if a.blurpool:
        apply_blurpool(model)
    perturb(model)
    state = {fastimg_key(k): v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    torch.save(state, os.path.join(a.out, "weights.pt"))

    original = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(a.batch, 3, a.resolution, a.resolution)
    torch.save(run(model, x, torch.contiguous_format), os.path.join(a.out, "io.pt"))
    if a.channels_last:
        # Channels-last runs other conv kernels; give our channels-last run the same ones to meet.
        model.load_state_dict(original)
        model.to(memory_format=torch.channels_last)
        io = run(model, x.contiguous(memory_format=torch.channels_last), torch.channels_last)
        torch.save(io, os.path.join(a.out, "io_channels_last.pt"))


def run(model, x, memory_format):
    io = {"input": x.contiguous()}
    model.eval()
    with torch.no_grad():
        io["logits_eval"] = model(x)

    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    model.train()
    xg = x.clone().requires_grad_(True)
    logits = model(xg)
    w = torch.randn(logits.shape, generator=torch.Generator().manual_seed(2))
    (logits * w).sum().backward()
    io["logits_train"] = logits.detach()
    io["loss_weight"] = w
    io["grad_input"] = xg.grad.contiguous()
    params = list(model.named_parameters())
    for name, param in (params[0], params[-1]):
        io["grad." + fastimg_key(name)] = param.grad.contiguous()
    for name, buf in model.named_buffers():
        if name.endswith("running_mean") or name.endswith("running_var"):
            io["after." + name] = buf.clone()
    model.zero_grad(set_to_none=True)
    return io

if __name__ == "__main__":
    main()
