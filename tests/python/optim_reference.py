"""Reference trajectories for tests/optim: torch.optim, schedulefree and SAM written from the formulas.

Usage: optim_reference.py OUT_DIR
Writes OUT_DIR/<case>.pt for every optimizer case (a dict: init, data, lrs, final params and BN
buffers), schedules.pt (learning rates at given epochs) and loss.pt (label smoothing loss and grad).
"""
import math
import sys

import numpy as np
import schedulefree
import torch
import torch.nn.functional as F

STEPS, BATCH, IN, HIDDEN, CLASSES = 100, 16, 8, 12, 4


class Net(torch.nn.Module):
    # Same names and order as the C++ test's Net: fc1, bn1, fc2. fc1 has no bias, as convolutions
    # before BatchNorm have none: BN cancels it, so its gradient would be rounding noise that Adam
    # normalizes into lr-sized steps, and no two implementations would agree on it.
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(IN, HIDDEN, bias=False)
        self.bn1 = torch.nn.BatchNorm1d(HIDDEN)
        self.fc2 = torch.nn.Linear(HIDDEN, CLASSES)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn1(self.fc1(x))))


def no_decay(name):
    return "bn" in name or "bias" in name


def groups(model, wd, decay_bn_and_bias):
    if decay_bn_and_bias:
        return [{"params": list(model.parameters()), "weight_decay": wd}]
    named = list(model.named_parameters())
    return [{"params": [p for n, p in named if not no_decay(n)], "weight_decay": wd},
            {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0}]


def perturbation(params, direction, rho, adaptive):
    """eps = rho * s * d / (||s' * d|| + 1e-12), s = w^2, s' = |w| (adaptive) else 1."""
    scaled = [(p.abs() * d if adaptive else d) for p, d in zip(params, direction)]
    norm = torch.stack([s.norm(2) for s in scaled]).norm(2).item()
    scale = rho / (norm + 1e-12)
    return [(s * p.abs() if adaptive else d) * scale for p, d, s in zip(params, direction, scaled)]


class SamReference:
    """SAM v1 (two passes) and v2 (single pass, perturbation from the previous gradient)."""

    def __init__(self, model, base, rho, adaptive, single_pass):
        self.params = list(model.parameters())
        self.base, self.rho, self.adaptive, self.single_pass = base, rho, adaptive, single_pass
        self.prev = None

    def step(self, closure):
        if not self.single_pass:
            loss = closure()
            with torch.no_grad():
                eps = perturbation(self.params, [p.grad for p in self.params], self.rho, self.adaptive)
                backup = [p.clone() for p in self.params]
                for p, e in zip(self.params, eps):
                    p.add_(e)
            closure()
        else:
            backup = None
            if self.prev is not None:
                with torch.no_grad():
                    eps = perturbation(self.params, self.prev, self.rho, self.adaptive)
                    backup = [p.clone() for p in self.params]
                    for p, e in zip(self.params, eps):
                        p.add_(e)
            loss = closure()
            self.prev = [p.grad.clone() for p in self.params]
        if backup is not None:
            with torch.no_grad():
                for p, b in zip(self.params, backup):
                    p.copy_(b)
        self.base.step()
        return loss


CASES = {
    # name: (optimizer, lr, options)
    "sgd": dict(opt="sgd", lr=0.1, momentum=0.9, nesterov=False, wd=5e-4, decay_all=True),
    "sgd_nesterov_nodecay": dict(opt="sgd", lr=0.1, momentum=0.875, nesterov=True, wd=1e-3, decay_all=False),
    "sgd_plain": dict(opt="sgd", lr=0.1, momentum=0.0, nesterov=False, wd=1e-4, decay_all=True),
    "adam": dict(opt="adam", lr=1e-2, wd=1e-3, decay_all=True),
    "adamw_nodecay": dict(opt="adamw", lr=1e-2, wd=0.05, decay_all=False),
    "sgd_schedule_free": dict(opt="sgd_schedule_free", lr=0.5, momentum=0.9, wd=5e-4, warmup=10, r=0.0,
                              wlp=2.0, decay_all=True),
    "adamw_schedule_free": dict(opt="adamw_schedule_free", lr=5e-3, wd=0.01, warmup=20, r=0.5, wlp=1.5,
                                decay_all=False),
    "sam_sgd": dict(opt="sam", base="sgd", lr=0.1, momentum=0.9, nesterov=False, wd=5e-4, rho=0.05,
                    adaptive=False, decay_all=False),
    "sam_adamw_adaptive": dict(opt="sam", base="adamw", lr=1e-2, wd=0.05, rho=0.5, adaptive=True, decay_all=True),
    "sam_v2_sgd_adaptive": dict(opt="sam_v2", base="sgd", lr=0.1, momentum=0.875, nesterov=False, wd=5e-4,
                                rho=1.0, adaptive=True, decay_all=True),
    "sam_v2_sgd": dict(opt="sam_v2", base="sgd", lr=0.1, momentum=0.9, nesterov=True, wd=5e-4, rho=0.05,
                       adaptive=False, decay_all=False),
}


def make_base(kind, c, param_groups):
    if kind == "sgd":
        return torch.optim.SGD(param_groups, lr=c["lr"], momentum=c["momentum"], nesterov=c["nesterov"])
    if kind == "adam":
        return torch.optim.Adam(param_groups, lr=c["lr"], betas=(0.9, 0.999), eps=1e-8)
    if kind == "adamw":
        return torch.optim.AdamW(param_groups, lr=c["lr"], betas=(0.9, 0.999), eps=1e-8)
    if kind == "sgd_schedule_free":
        return schedulefree.SGDScheduleFree(param_groups, lr=c["lr"], momentum=c["momentum"],
                                            warmup_steps=c["warmup"], r=c["r"], weight_lr_power=c["wlp"])
    if kind == "adamw_schedule_free":
        return schedulefree.AdamWScheduleFree(param_groups, lr=c["lr"], betas=(0.9, 0.999), eps=1e-8,
                                              warmup_steps=c["warmup"], r=c["r"], weight_lr_power=c["wlp"])
    raise ValueError(kind)


def lr_at(step, base_lr):
    # A per-step schedule that rises and falls, so that set_lr matters.
    return base_lr * (0.2 + 0.8 * math.sin(math.pi * (step + 1) / (STEPS + 1)))


def run_case(name, c, out_dir):
    torch.manual_seed(0)
    model = Net()
    init = [t.detach().clone() for t in model.state_dict().values()]
    gen = torch.Generator().manual_seed(1)
    xs = torch.randn(STEPS, BATCH, IN, generator=gen) * 2
    ys = torch.randint(0, CLASSES, (STEPS, BATCH), generator=gen)
    pg = groups(model, c["wd"], c["decay_all"])
    kind = c["opt"]
    if kind in ("sam", "sam_v2"):
        opt = SamReference(model, make_base(c["base"], c, pg), c["rho"], c["adaptive"], kind == "sam_v2")
        lr_owner = opt.base
    else:
        opt = make_base(kind, c, pg)
        lr_owner = opt
    schedule_free = kind.endswith("schedule_free")
    model.train()
    if schedule_free:
        opt.train()
    lrs, losses = [], []
    for t in range(STEPS):
        lr = lr_at(t, c["lr"])
        lrs.append(lr)
        for g in lr_owner.param_groups:
            g["lr"] = lr

        def closure():
            model.zero_grad()
            loss = F.cross_entropy(model(xs[t]), ys[t], label_smoothing=0.1)
            loss.backward()
            return loss

        losses.append(opt.step(closure).item())
        if schedule_free and t == STEPS // 2:
            opt.eval()   # a round trip through x mid-run, as an evaluation would do
            opt.train()
    result = {"init": init, "x": xs, "y": ys, "lrs": lrs, "losses": losses,
              "final": [t.detach().clone() for t in model.state_dict().values()]}
    if schedule_free:
        opt.eval()
        result["final_eval"] = [p.detach().clone() for p in model.parameters()]
    torch.save(result, f"{out_dir}/{name}.pt")


def schedules(out_dir):
    steps_per_epoch = 7
    epochs = 12
    at = [e + s / steps_per_epoch for e in range(epochs + 1) for s in range(steps_per_epoch)]
    out = {"epochs": at}
    # FFCV get_cyclic_lr (train_imagenet.py): np.interp([epoch], [0, peak, epochs], [1e-4 * lr, lr, 0]).
    out["triangular"] = [float(np.interp([e], [0, 2, epochs], [1e-4 * 0.5, 0.5, 0])[0]) for e in at]
    # torch's LinearLR warm-up then CosineAnnealingLR, per iteration.
    total, warm = epochs * steps_per_epoch, 3 * steps_per_epoch
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=2.0)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [
        torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.01, end_factor=1.0, total_iters=warm),
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warm, eta_min=1e-3)], milestones=[warm])
    cosine = []
    for _ in range(total):
        cosine.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    out["cosine"] = cosine
    out["cosine_epochs"] = [s / steps_per_epoch for s in range(total)]
    # StepLR-like milestones via MultiStepLR (per epoch milestones at 4 and 9).
    p2 = torch.nn.Parameter(torch.zeros(1))
    opt2 = torch.optim.SGD([p2], lr=1.0)
    ms = torch.optim.lr_scheduler.MultiStepLR(opt2, milestones=[4 * steps_per_epoch, 9 * steps_per_epoch], gamma=0.1)
    step_lrs = []
    for _ in range(total):
        step_lrs.append(opt2.param_groups[0]["lr"])
        opt2.step()
        ms.step()
    out["step"] = step_lrs
    # The 90-epoch ImageNet run: warm-up 5 epochs from 0.01, cosine to 1e-5, 1251 steps per epoch,
    # sampled at epoch boundaries.
    spe, total, warm = 1251, 90 * 1251, 5 * 1251
    opt3 = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched3 = torch.optim.lr_scheduler.SequentialLR(opt3, [
        torch.optim.lr_scheduler.LinearLR(opt3, start_factor=0.01, end_factor=1.0, total_iters=warm),
        torch.optim.lr_scheduler.CosineAnnealingLR(opt3, T_max=total - warm, eta_min=1e-5)], milestones=[warm])
    boundaries = []
    for s in range(total):
        if s % spe == 0:
            boundaries.append(opt3.param_groups[0]["lr"])
        opt3.step()
        sched3.step()
    out["imagenet_cosine"] = boundaries
    torch.save(out, f"{out_dir}/schedules.pt")


def loss(out_dir):
    gen = torch.Generator().manual_seed(2)
    logits = torch.randn(32, 10, generator=gen) * 3
    targets = torch.randint(0, 10, (32,), generator=gen)
    x = logits.clone().requires_grad_(True)
    value = F.cross_entropy(x, targets, label_smoothing=0.1)
    value.backward()
    torch.save({"logits": logits, "targets": targets, "loss": value.detach(), "grad": x.grad}, f"{out_dir}/loss.pt")


def main():
    out_dir = sys.argv[1]
    torch.set_num_threads(1)
    for name, c in CASES.items():
        run_case(name, c, out_dir)
    schedules(out_dir)
    loss(out_dir)


if __name__ == "__main__":
    main()
