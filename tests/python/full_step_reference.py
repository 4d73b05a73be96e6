"""Full-step parity reference for tests/train/full_step_parity_test.cc (issue 18, part 3).

Usage: full_step_reference.py OUT_DIR [--threads N] [--no-fused] [--dtype float32|float64] [--cases ...]

The same initial weights and the same batches, trained for STEPS steps on the CPU by PyTorch alone:
a torchvision resnet18, torch.nn.CrossEntropyLoss(label_smoothing), torch.optim.SGD / AdamW,
torch.nn.utils.clip_grad_norm_, and learning rates from FFCV's code (case a) or
torch.optim.lr_scheduler (cases b, c); SAM is written from the paper's formula over torch.optim.SGD.
Nothing here calls fastimg. Every file is torch.save(dict of str -> tensor), read on the C++ side by
fastimg::models::load_tensor_dict (init.pt also by load_torchvision_state_dict):

  init.pt      torchvision resnet18(num_classes=CLASSES).state_dict(), seeded
  batches.pt   x [STEPS, BATCH, 3, RES, RES] float32, y [STEPS, BATCH] int64 (a fixed generator)
  <case>.pt    lrs [STEPS] and losses [STEPS] (float64: the lr each step ran with, the loss at the
               weights before it), and final.<key> for every state-dict entry after the last step
               (parameters, BatchNorm running statistics, num_batches_tracked)

BatchNorm trains in train mode, so its running statistics move too (twice per step under SAM: its
second forward pass runs in train mode as well, as the reference implementations do). The settings
of each case are the CASES table; the C++ test writes the same settings as a fastimg TOML config.

Chaos. Training a ReLU network with train-mode BatchNorm on batches of 8 is chaotic at the last
bit: a ReLU or max-pool input that crosses zero moves a whole gradient element, so a one-ulp
difference anywhere grows to percent-level differences within 30 steps, whatever the learning rate
(measured: 1 vs 2 threads, or torch.optim.AdamW's default loop vs its fused kernel, end 2-70% apart
in BN biases and 0.1-20% apart in the loss; fp32 vs fp64 as much). A 1e-4 comparison therefore
holds only where both sides run the same kernels in the same order, so:
  * the thread count is fixed (--threads, default 2; the C++ test sets the same);
  * SGD and AdamW run torch.optim's fused kernels (fused=True), the ones fastimg calls for fp32
    CPU tensors; --no-fused gives torch.optim's default loop (tests/optim compares fastimg with
    that one, on a smooth problem, to 1e-5);
  * SAM's norm and perturbation use the foreach ops (one norm per tensor, then the norm of the
    norms; w += scale * g with a double scale), which is the formula, not a particular library.
With those, a Python transliteration of fastimg's C++ step matches this script bit for bit.
"""
import argparse
import math
import os
import time

import numpy as np
import torch
import torchvision

STEPS, BATCH, RES, CLASSES = 30, 8, 64, 10
STEPS_PER_EPOCH, EPOCHS = 5, 6  # the 30 steps span epochs 0..6: warm-up, peak and decay
# torch.optim's fused kernels: the ones fastimg's SGD and AdamW call for fp32 CPU tensors (see
# "Chaos" above); --no-fused sets it to False: torch.optim's default per-tensor loop.
FUSED = True

# The recipes' optimizers and schedules at this scale: learning rates for batches of 8, weight decay
# 100x the recipes' so that decay on the wrong parameters would be far above the tolerance.
CASES = {
    # (a) FFCV's ResNet recipe (configs/ffcv/): SGD momentum 0.9 (no Nesterov), coupled weight decay
    # except on BatchNorm parameters and biases (fastimg's no_decay_rule "module_type", the configs'
    # default; FFCV's own script exempts the names containing "bn", which leaves downsample.1.* and
    # fc.bias decayed), label smoothing 0.1, FFCV's triangular lr.
    "ffcv_sgd_triangular": dict(opt="sgd", lr=0.02, momentum=0.9, nesterov=False, wd=5e-3, no_decay="module_type",
                                label_smoothing=0.1, grad_clip=0.0, schedule="triangular", lr_peak_epoch=2),
    # (b) AdamW (decoupled decay) as configs/rr/vit_base_16.toml trains: "bn"/"bias" names exempt,
    # gradient clipping 1.0, label smoothing 0.11, per-iteration linear warm-up then cosine.
    "adamw_cosine": dict(opt="adamw", lr=1e-3, betas=(0.9, 0.999), eps=1e-8, wd=0.3, no_decay="name",
                         label_smoothing=0.11, grad_clip=1.0, schedule="cosine", warmup_epochs=1,
                         warmup_start_fraction=0.033, min_lr=1e-5),
    # (c) SAM v1 over SGD as configs/rr/resnet18-sgd-sam-v1.toml trains: rho 0.05, not adaptive,
    # momentum 0.875, "bn"/"bias" names exempt, warm-up then cosine.
    "sam_sgd_cosine": dict(opt="sam", lr=0.02, momentum=0.875, nesterov=False, wd=5e-3, no_decay="name", rho=0.05,
                           label_smoothing=0.1, grad_clip=0.0, schedule="cosine", warmup_epochs=1,
                           warmup_start_fraction=0.01, min_lr=1e-5),
}


def make_model():
    torch.manual_seed(0)
    return torchvision.models.resnet18(weights=None, num_classes=CLASSES)


def make_batches():
    """Images with a class-dependent pattern plus noise, so that the loss can fall."""
    gen = torch.Generator().manual_seed(1)
    templates = torch.randn(CLASSES, 3, RES, RES, generator=gen)
    y = torch.randint(0, CLASSES, (STEPS, BATCH), generator=gen)
    x = torch.randn(STEPS, BATCH, 3, RES, RES, generator=gen) + 0.5 * templates[y]
    return x.contiguous(), y


def param_groups(model, wd, rule):
    """[decayed, exempt], each in named_parameters() order (empty groups dropped)."""
    if rule == "module_type":
        # Every parameter of a normalization module, and every bias.
        exempt = set()
        for mname, m in model.named_modules():
            is_norm = isinstance(m, (torch.nn.modules.batchnorm._BatchNorm, torch.nn.LayerNorm, torch.nn.GroupNorm))
            for pname, _ in m.named_parameters(recurse=False):
                if is_norm or pname == "bias":
                    exempt.add(f"{mname}.{pname}" if mname else pname)
        no_decay = lambda n: n in exempt  # noqa: E731
    elif rule == "name":
        no_decay = lambda n: "bn" in n or "bias" in n  # noqa: E731
    else:
        raise ValueError(rule)
    named = list(model.named_parameters())
    groups = [{"params": [p for n, p in named if not no_decay(n)], "weight_decay": wd},
              {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0}]
    return [g for g in groups if g["params"]]


def ffcv_lrs(lr, epochs, lr_peak_epoch, steps_per_epoch, steps):
    """FFCV train_imagenet.py: get_cyclic_lr at each epoch's ends, then np.interp over the epoch."""
    def get_cyclic_lr(epoch):
        return np.interp([epoch], [0, lr_peak_epoch, epochs], [1e-4 * lr, lr, 0])[0]

    out = []
    for epoch in range(math.ceil(steps / steps_per_epoch)):
        lr_start, lr_end = get_cyclic_lr(epoch), get_cyclic_lr(epoch + 1)
        out.extend(np.interp(np.arange(steps_per_epoch), [0, steps_per_epoch], [lr_start, lr_end]).tolist())
    return [float(v) for v in out[:steps]]


def sam_step(params, base, closure, rho):
    """SAM (Foret et al. 2021), q = 2: e = rho * g / (||g||_2 + 1e-12), g = grad L(w) over all the
    parameters at once; the gradient at w + e, then w restored exactly and the base optimizer steps
    with that gradient (its weight decay at w)."""
    loss = closure()
    with torch.no_grad():
        grads = [p.grad for p in params]
        norm = torch.stack(torch._foreach_norm(grads, 2)).norm(2).item()
        scale = rho / (norm + 1e-12)
        backup = [p.clone() for p in params]
        torch._foreach_add_(params, grads, alpha=scale)
    closure()
    with torch.no_grad():
        torch._foreach_copy_(params, backup)
    base.step()
    return loss


def run_case(name, c, init, xs, ys, dtype):
    model = make_model()
    model.load_state_dict(init)
    model.to(dtype)
    model.train()
    pg = param_groups(model, c["wd"], c["no_decay"])
    if c["opt"] in ("sgd", "sam"):
        opt = torch.optim.SGD(pg, lr=c["lr"], momentum=c["momentum"], nesterov=c["nesterov"], fused=FUSED)
    elif c["opt"] == "adamw":
        opt = torch.optim.AdamW(pg, lr=c["lr"], betas=c["betas"], eps=c["eps"], fused=FUSED)
    else:
        raise ValueError(c["opt"])
    criterion = torch.nn.CrossEntropyLoss(label_smoothing=c["label_smoothing"])

    if c["schedule"] == "triangular":
        fixed_lrs, scheduler = ffcv_lrs(c["lr"], EPOCHS, c["lr_peak_epoch"], STEPS_PER_EPOCH, STEPS), None
    else:
        # Per iteration: LinearLR warm-up from warmup_start_fraction, then cosine to min_lr at EPOCHS.
        total, warm = EPOCHS * STEPS_PER_EPOCH, c["warmup_epochs"] * STEPS_PER_EPOCH
        fixed_lrs = None
        scheduler = torch.optim.lr_scheduler.SequentialLR(opt, [
            torch.optim.lr_scheduler.LinearLR(opt, start_factor=c["warmup_start_fraction"], end_factor=1.0,
                                              total_iters=warm),
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warm, eta_min=c["min_lr"])],
            milestones=[warm])

    params = list(model.parameters())
    lrs, losses = [], []
    for t in range(STEPS):
        if fixed_lrs is not None:
            for g in opt.param_groups:
                g["lr"] = fixed_lrs[t]
        lrs.append(opt.param_groups[0]["lr"])
        x, y = xs[t].to(dtype), ys[t]

        def closure():
            opt.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            if c["grad_clip"] > 0:
                torch.nn.utils.clip_grad_norm_(params, c["grad_clip"])
            return loss

        if c["opt"] == "sam":
            # The norm of the per-tensor norms sums in parameter-group order, as fastimg's SAM
            # does: a different summation order changes its last bit, which 30 chaotic steps
            # of train-mode BatchNorm amplify.
            loss = sam_step([p for g in opt.param_groups for p in g["params"]], opt, closure, c["rho"])
        else:
            loss = closure()
            opt.step()
        losses.append(loss.item())
        if scheduler is not None:
            scheduler.step()
    out = {"lrs": torch.tensor(lrs, dtype=torch.float64), "losses": torch.tensor(losses, dtype=torch.float64)}
    for k, v in model.state_dict().items():
        out["final." + k] = v.detach().clone().contiguous()
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out_dir")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--threads", type=int, default=2)  # the tests' OMP_NUM_THREADS
    p.add_argument("--no-fused", action="store_true", help="torch.optim's default loop instead of fused=True")
    p.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    a = p.parse_args()
    global FUSED
    FUSED = not a.no_fused
    torch.set_num_threads(a.threads)
    dtype = getattr(torch, a.dtype)
    os.makedirs(a.out_dir, exist_ok=True)

    init = {k: v.detach().clone().contiguous() for k, v in make_model().state_dict().items()}
    xs, ys = make_batches()
    torch.save(init, os.path.join(a.out_dir, "init.pt"))
    torch.save({"x": xs, "y": ys}, os.path.join(a.out_dir, "batches.pt"))
    for name in a.cases:
        start = time.time()
        result = run_case(name, CASES[name], init, xs, ys, dtype)
        torch.save(result, os.path.join(a.out_dir, f"{name}.pt"))
        losses = result["losses"].tolist()
        print(f"{name}: {time.time() - start:.1f} s, loss {losses[0]:.4f} -> {losses[-1]:.4f}", flush=True)


if __name__ == "__main__":
    main()
