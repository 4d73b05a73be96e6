#!/usr/bin/env python3
"""End-to-end training speed: fastimg against PyTorch eager + FFCV's loader, side by side.

Both train the same recipe (bench/train/compare_recipe.toml, with any --set on top; the PyTorch
side reads the config that `fastimg train --print-config` resolves, so it follows every --set it
mirrors) for WARMUP + STEPS optimizer steps on the same .beton, the same cores and the same number
of loader threads, each in its own process, alternating (fastimg first in even rounds, PyTorch
first in odd ones); the table gives medians over the rounds.

  fastimg   `fastimg train` capped at WARMUP + STEPS steps (train.max_steps_per_epoch, one epoch,
            no evaluation). images/s = STEPS x batch / (time of the metrics.jsonl record at step
            WARMUP + STEPS - time of the one at step WARMUP); train.log_every = gcd(WARMUP, STEPS)
            so that both records exist. CPU time: the process's user + system seconds read from
            /proc when those two records appear (polled every 10 ms).
  pytorch   ffcv.loader.Loader on the same .beton (RandomResizedCropRGBImageDecoder, RandomHorizontalFlip,
            NormalizeImage to float32 in FFCV's compiled stage, ToTensor, ToTorchImage: no ToDevice, as
            FFCV's ImageNet example on the CPU), num_workers = the loader threads; the same ResNet written
            in torch.nn, torch.optim.SGD with the same weight-decay groups, CrossEntropyLoss(label_smoothing),
            the triangular lr set per iteration. images/s = STEPS x batch / (wall time from the end of step
            WARMUP to the end of step WARMUP + STEPS); CPU time over the same window (all its threads).

Both windows include the loader waits (the loader runs concurrently on the same cores in both) and
exclude start-up, FFCV's JIT compilation, the first WARMUP steps and the end-of-run checkpoint.
Intra-op threads: fastimg does not set them (LibTorch's default, the physical cores); FFCV's loader
thread calls torch.set_num_threads(num_workers) when it starts, so the PyTorch side sets its training
thread's count after the first batch: to fastimg's (LibTorch's default, probed in a fresh process), or
to K for both with --intra-threads K (OMP_NUM_THREADS for fastimg). The header says what each ran with.

Data: --data FILE.beton, or by default the demo's synthetic 10-class JPEG set (`fastimg demo
--data-only`, 96-192 px JPEGs, q90) with enough images for one epoch of WARMUP + STEPS batches.

Usage:
  compare_pytorch.py --fastimg build/fastimg [--steps 60] [--warmup 10] [--rounds 3] [--threads N]
                     [--intra-threads K] [--cpus 0,1] [--data F.beton] [--set key=value ...]
                     [--normalize ffcv|torch] [--torch-sgd default|foreach|fused] [--markdown]
"""
import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "loader"))
import compare_loaders as common  # noqa: E402  (process_cpu_seconds, warm_page_cache)

RECIPE = os.path.join(HERE, "compare_recipe.toml")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Set by this script: a --set of any of them would break the measurement.
OWN_KEYS = {"data.train", "data.val", "output.run_dir", "train.max_steps_per_epoch", "train.stop_after_epochs",
            "train.log_every", "output.progress", "output.resume", "data.threads"}


# ---------------------------------------------------------------- the PyTorch side (child process)

def build_resnet(blocks, base, bottleneck, num_classes, blurpool, channels_last):
    """fastimg's ResNet (src/models/resnet.cc) in torch.nn: the same layers, widths and BN; ReLU and
    the residual add as there (out-of-place relu, in-place add)."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class BlurConv2d(nn.Conv2d):  # FFCV's BlurPoolConv2d: a 3x3 binomial blur before a strided conv
        def __init__(self, cin, cout, k, stride, blur):
            super().__init__(cin, cout, k, stride=stride, padding=k // 2, bias=False)
            self.blur = blur and stride > 1 and cin >= 16
            if self.blur:
                row = torch.tensor([1.0, 2.0, 1.0])
                f = (row[:, None] * row[None, :]) / 16.0
                self.register_buffer("blur_filter", f.view(1, 1, 3, 3).repeat(cin, 1, 1, 1).contiguous())

        def forward(self, x):
            if self.blur:
                x = F.conv2d(x, self.blur_filter, None, 1, 1, 1, self.in_channels)
            return super().forward(x)

    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self, cin, width, stride):
            super().__init__()
            self.conv1, self.bn1 = BlurConv2d(cin, width, 3, stride, blurpool), nn.BatchNorm2d(width)
            self.conv2, self.bn2 = BlurConv2d(width, width, 3, 1, blurpool), nn.BatchNorm2d(width)
            self.downsample = None
            if stride != 1 or cin != width:
                self.downsample = nn.Sequential(BlurConv2d(cin, width, 1, stride, blurpool), nn.BatchNorm2d(width))

        def forward(self, x):
            out = torch.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += self.downsample(x) if self.downsample is not None else x
            return torch.relu(out)

    class Bottleneck(nn.Module):
        expansion = 4

        def __init__(self, cin, width, stride):
            super().__init__()
            self.conv1, self.bn1 = BlurConv2d(cin, width, 1, 1, blurpool), nn.BatchNorm2d(width)
            self.conv2, self.bn2 = BlurConv2d(width, width, 3, stride, blurpool), nn.BatchNorm2d(width)
            self.conv3, self.bn3 = BlurConv2d(width, width * 4, 1, 1, blurpool), nn.BatchNorm2d(width * 4)
            self.downsample = None
            if stride != 1 or cin != width * 4:
                self.downsample = nn.Sequential(BlurConv2d(cin, width * 4, 1, stride, blurpool),
                                                nn.BatchNorm2d(width * 4))

        def forward(self, x):
            out = torch.relu(self.bn1(self.conv1(x)))
            out = torch.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            out += self.downsample(x) if self.downsample is not None else x
            return torch.relu(out)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            block = Bottleneck if bottleneck else BasicBlock
            self.conv1 = nn.Conv2d(3, base, 7, stride=2, padding=3, bias=False)  # the stem is never blurred
            self.bn1 = nn.BatchNorm2d(base)
            cin, layers = base, []
            for stage, n in enumerate(blocks):
                width, seq = base << stage, []
                for i in range(n):
                    seq.append(block(cin, width, 2 if stage > 0 and i == 0 else 1))
                    cin = width * block.expansion
                layers.append(nn.Sequential(*seq))
            self.layer1, self.layer2, self.layer3, self.layer4 = layers
            self.fc = nn.Linear(cin, num_classes)
            for m in self.modules():  # torchvision's init, as fastimg's
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)

        def forward(self, x):
            x = torch.relu(self.bn1(self.conv1(x)))
            x = F.max_pool2d(x, 3, 2, 1)
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

    model = ResNet()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model


ARCHS = {  # fastimg's registry: (blocks per stage, base width, bottleneck)
    "resnet_mini": ((1, 1, 1, 1), 16, False),
    "resnet18": ((2, 2, 2, 2), 64, False),
    "resnet50": ((3, 4, 6, 3), 64, True),
}


def param_groups(model, weight_decay, decay_bn_and_bias, rule):
    """fastimg's optim/param_groups.cc: no decay on normalization parameters and biases."""
    from torch import nn
    if decay_bn_and_bias:
        return [{"params": list(model.parameters()), "weight_decay": weight_decay}]
    exempt = set()
    for mname, m in model.named_modules():
        for pname, _ in m.named_parameters(recurse=False):
            full = f"{mname}.{pname}" if mname else pname
            if rule == "name":
                if "bn" in full or "bias" in full:
                    exempt.add(full)
            elif isinstance(m, (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)) or pname == "bias":
                exempt.add(full)
    named = list(model.named_parameters())
    groups = [{"params": [p for n, p in named if n not in exempt], "weight_decay": weight_decay},
              {"params": [p for n, p in named if n in exempt], "weight_decay": 0.0}]
    return [g for g in groups if g["params"]]


def triangular_lr(cfg, epoch):
    """FFCV's get_cyclic_lr (fastimg's optim/schedule.cc), at a fractional epoch."""
    import numpy as np
    s = cfg["schedule"]
    lr = cfg["optimizer"]["lr"]
    return float(np.interp([epoch], [0, s["lr_peak_epoch"], cfg["train"]["epochs"]],
                           [s["initial_fraction"] * lr, lr, 0])[0])


def run_pytorch(spec):
    import numpy as np
    import torch
    from ffcv.fields.decoders import IntDecoder, RandomResizedCropRGBImageDecoder
    from ffcv.loader import Loader, OrderOption
    from ffcv.transforms import Convert, NormalizeImage, RandomHorizontalFlip, Squeeze, ToTensor, ToTorchImage

    cfg = spec["config"]
    batch, res = cfg["data"]["batch_size"], cfg["train"]["min_res"]
    channels_last = cfg["train"]["channels_last"]
    aug = cfg["augment"]
    decoder = RandomResizedCropRGBImageDecoder((res, res), scale=(aug["scale_min"], aug["scale_max"]),
                                               ratio=(aug["ratio_min"], aug["ratio_max"]))
    flip = RandomHorizontalFlip(aug["flip_probability"])
    mean255, std255 = np.array(IMAGENET_MEAN) * 255, np.array(IMAGENET_STD) * 255
    if spec["normalize"] == "ffcv":
        # FFCV's CPU path: the normalization lookup table in the compiled (numba) stage.
        image_pipeline = [decoder, flip, NormalizeImage(mean255, std255, np.float32), ToTensor(),
                          ToTorchImage(channels_last=channels_last)]
    else:
        image_pipeline = [decoder, flip, ToTensor(), ToTorchImage(), Convert(torch.float32)]
    order = {"random": OrderOption.RANDOM, "sequential": OrderOption.SEQUENTIAL,
             "quasi_random": OrderOption.QUASI_RANDOM}[cfg["data"]["order"]]
    loader = Loader(spec["beton"], batch_size=batch, num_workers=spec["threads"], order=order, os_cache=True,
                    drop_last=True, seed=cfg["train"]["seed"], batches_ahead=cfg["data"]["batches_ahead"],
                    pipelines={"image": image_pipeline, "label": [IntDecoder(), ToTensor(), Squeeze()]})
    total = spec["warmup"] + spec["steps"]
    if len(loader) < total:
        sys.exit(f"error: {spec['beton']}: {len(loader)} batches of {batch}, fewer than {total}")

    torch.manual_seed(cfg["train"]["seed"])
    blocks, base, bottleneck = ARCHS[cfg["model"]["arch"]]
    model = build_resnet(blocks, base, bottleneck, spec["num_classes"], cfg["model"]["blurpool"], channels_last)
    o = cfg["optimizer"]
    sgd_impl = {"default": {}, "foreach": {"foreach": True}, "fused": {"fused": True}}[spec["torch_sgd"]]
    opt = torch.optim.SGD(param_groups(model, o["weight_decay"], o["decay_bn_and_bias"], o["no_decay_rule"]),
                          lr=o["lr"], momentum=o["momentum"], nesterov=o["nesterov"], **sgd_impl)
    criterion = torch.nn.CrossEntropyLoss(label_smoothing=o["label_smoothing"])
    mean = torch.tensor(mean255, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(std255, dtype=torch.float32).view(1, 3, 1, 1)
    end = total  # steps in the (capped) epoch, as fastimg's train.max_steps_per_epoch
    model.train()
    losses = []
    pid = os.getpid()
    t0 = cpu0 = None
    it = iter(loader)
    for i in range(total):
        images, labels = next(it)
        if i == 0:
            # FFCV's EpochIterator thread has called torch.set_num_threads(num_workers) by now (before its
            # first batch); the training thread gets fastimg's count instead.
            torch.set_num_threads(spec["intra_threads"])
        if spec["normalize"] == "torch":
            images = (images - mean) / std
            if not channels_last:
                images = images.contiguous()
        labels = labels.long()
        if i == 0:  # what the model gets: the layout should be fastimg's (train.channels_last)
            layout = ("channels_last" if images.is_contiguous(memory_format=torch.channels_last) and
                      not images.is_contiguous() else "contiguous")
            input_desc = f"{str(images.dtype).replace('torch.', '')} {list(images.shape)} {layout}"
        lr = triangular_lr(cfg, i / end)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss = criterion(model(images), labels)
        loss.backward()
        opt.step()
        losses.append(loss.detach())
        if i + 1 == spec["warmup"]:
            t0, cpu0 = time.perf_counter(), common.process_cpu_seconds(pid)
    wall = time.perf_counter() - t0
    cpu = common.process_cpu_seconds(pid) - cpu0
    images = spec["steps"] * batch
    window = losses[-spec["log_every"]:]
    print(json.dumps({"images_per_s": images / wall, "images_per_cpu_s": images / max(cpu, 1e-9),
                      "step_ms": 1000 * wall / spec["steps"], "loss": float(torch.stack(window).mean()),
                      "intra_threads": torch.get_num_threads(), "torch": torch.__version__, "input": input_desc}))


# ---------------------------------------------------------------- the driver

def child_env(args):
    env = dict(os.environ)
    if args.intra_threads > 0:
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(args.intra_threads)
    return env


def pin(args):
    if not args.cpus:
        return None
    cpus = {int(c) for c in args.cpus.split(",")}
    return lambda: os.sched_setaffinity(0, cpus)


def libtorch_default_threads(args):
    """The intra-op threads LibTorch picks in a fresh process with this environment: what fastimg
    (which does not set them) runs with, being linked against the same libtorch."""
    out = subprocess.run([sys.executable, "-c", "import torch; print(torch.get_num_threads())"], check=True,
                         capture_output=True, text=True, env=child_env(args), preexec_fn=pin(args)).stdout
    return int(out.strip())


def resolved_config(fastimg, sets):
    out = subprocess.run([fastimg, "train", "--config", RECIPE, *sum((["--set", s] for s in sets), []),
                          "--print-config"], check=True, capture_output=True, text=True).stdout
    return tomllib.loads(out)


def check_mirrorable(cfg):
    """The PyTorch side implements this recipe family only; anything else would compare different runs."""
    problems = []
    o, t = cfg["optimizer"], cfg["train"]
    if o["name"] != "sgd":
        problems.append(f"optimizer.name = {o['name']} (the PyTorch side trains SGD)")
    if cfg["schedule"]["name"] != "triangular":
        problems.append(f"schedule.name = {cfg['schedule']['name']} (the PyTorch side: triangular)")
    if o["grad_clip"] > 0 or o["grad_accumulation"] != 1:
        problems.append("optimizer.grad_clip / grad_accumulation")
    if t["precision"] != "fp32" or t["device"] != "cpu":
        problems.append(f"train.precision = {t['precision']}, train.device = {t['device']} (fp32 CPU only)")
    if cfg["model"]["arch"] not in ARCHS:
        problems.append(f"model.arch = {cfg['model']['arch']} (the PyTorch side has {', '.join(ARCHS)})")
    if cfg["model"]["sync_bn"]:
        problems.append("model.sync_bn")
    if problems:
        sys.exit("error: not mirrored on the PyTorch side: " + "; ".join(problems))


def demo_data(fastimg, work, images_needed):
    per_class = max(320, math.ceil(images_needed / 10))
    d = os.path.join(work, f"demo-{per_class}")
    beton = os.path.join(d, "train.beton")
    if not os.path.exists(beton):
        subprocess.run([fastimg, "demo", "--data-only", "--dir", d, "--train-per-class", str(per_class),
                        "--val-per-class", "1"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return beton


def beton_info(beton):
    from ffcv.reader import Reader
    r = Reader(beton)
    labels = r.metadata[f"f{r.field_names.index('label')}"]
    return r.num_samples, int(labels.max()) + 1


def run_fastimg(args, fastimg, beton, batch, log_every, work):
    run_dir = tempfile.mkdtemp(prefix="run-", dir=work)
    metrics = os.path.join(run_dir, "metrics.jsonl")
    first, last = args.warmup, args.warmup + args.steps
    cmd = [fastimg, "train", "--config", RECIPE, "--set", f"data.train={beton}", "--set", f"output.run_dir={run_dir}",
           "--set", f"train.max_steps_per_epoch={last}", "--set", "train.stop_after_epochs=1",
           "--set", f"train.log_every={log_every}", "--set", f"data.threads={args.threads}",
           "--set", "output.progress=false", *sum((["--set", s] for s in args.set), [])]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(args),
                            preexec_fn=pin(args))
    cpu, seen, offset, buf = {}, {}, 0, ""
    while True:
        done = proc.poll() is not None
        if os.path.exists(metrics):
            with open(metrics) as f:
                f.seek(offset)
                chunk = f.read()
                offset = f.tell()
            buf += chunk
            *lines, buf = buf.split("\n")
            for line in lines:
                r = json.loads(line)
                if r.get("type") == "train" and r["global_step"] in (first, last) and not done:
                    try:
                        cpu[r["global_step"]] = common.process_cpu_seconds(proc.pid)
                    except OSError:
                        pass
                if r.get("type") == "train":
                    seen[r["global_step"]] = r
        if done:
            break
        time.sleep(0.01)
    out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"error: fastimg train failed ({proc.returncode}):\n{err}")
    if first not in seen or last not in seen:
        sys.exit(f"error: {metrics}: no train records at steps {first} and {last}:\n{err}")
    wall = seen[last]["time"] - seen[first]["time"]
    images = args.steps * batch
    result = {"images_per_s": images / wall, "step_ms": 1000 * wall / args.steps, "loss": seen[last]["loss"],
              "images_per_cpu_s": images / (cpu[last] - cpu[first]) if first in cpu and last in cpu else None,
              "start_line": next((l for l in err.splitlines() if l.startswith("fastimg train:")), "")}
    shutil.rmtree(run_dir, ignore_errors=True)
    return result


def run_pytorch_isolated(args, spec):
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--one-pytorch", json.dumps(spec)],
                         capture_output=True, text=True, env=child_env(args), preexec_fn=pin(args))
    if out.returncode != 0:
        sys.exit(f"error: the PyTorch run failed ({out.returncode}):\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(head, rows, markdown):
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    else:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--one-pytorch":
        run_pytorch(json.loads(sys.argv[2]))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fastimg", required=True)
    ap.add_argument("--data", help=".beton to train on (default: the demo's synthetic set, written under --work)")
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "fastimg-compare-train"))
    ap.add_argument("--steps", type=int, default=60, help="timed optimizer steps")
    ap.add_argument("--warmup", type=int, default=10, help="steps before the timed ones (>= 1)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="loader threads of both (fastimg data.threads, FFCV num_workers); default: the cores, "
                         "as fastimg's data.threads = 0")
    ap.add_argument("--intra-threads", type=int, default=0,
                    help="intra-op threads of both (OMP_NUM_THREADS / torch.set_num_threads); 0 = LibTorch's default "
                         "(fastimg sets none)")
    ap.add_argument("--cpus", help="pin both to these CPUs (e.g. 0,1)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a config key on top of the recipe; the PyTorch side follows the resolved config")
    ap.add_argument("--normalize", choices=["ffcv", "torch"], default="ffcv",
                    help="PyTorch side: FFCV's NormalizeImage in the loader (default) or ToTorchImage + "
                         "Convert(float32) + (x - mean) / std in the training loop")
    ap.add_argument("--torch-sgd", choices=["default", "foreach", "fused"], default="default",
                    help="torch.optim.SGD implementation (default: torch's choice, the per-tensor loop on the CPU)")
    ap.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    args = ap.parse_args()
    if args.warmup < 1 or args.steps < 1 or args.rounds < 1:
        sys.exit("error: --warmup, --steps and --rounds must be >= 1")
    for s in args.set:
        if s.split("=", 1)[0] in OWN_KEYS:
            sys.exit(f"error: --set {s}: this script sets {s.split('=', 1)[0]} itself")

    fastimg = os.path.abspath(args.fastimg)
    os.makedirs(args.work, exist_ok=True)
    cfg = resolved_config(fastimg, args.set)
    check_mirrorable(cfg)
    batch = cfg["data"]["batch_size"]
    total = args.warmup + args.steps
    beton = os.path.abspath(args.data) if args.data else demo_data(fastimg, args.work, total * batch)
    samples, classes = beton_info(beton)
    if samples // batch < total:
        sys.exit(f"error: {beton}: {samples} samples, {samples // batch} batches of {batch}: fewer than {total}")
    if cfg["model"]["num_classes"] > 0:
        classes = cfg["model"]["num_classes"]
    common.warm_page_cache(beton)
    fastimg_intra = libtorch_default_threads(args)
    log_every = math.gcd(args.warmup, args.steps)
    spec = {"config": cfg, "beton": beton, "threads": args.threads, "intra_threads": fastimg_intra,
            "warmup": args.warmup, "steps": args.steps, "num_classes": classes, "normalize": args.normalize,
            "torch_sgd": args.torch_sgd, "log_every": log_every}

    results = {"fastimg": [], "pytorch": []}
    start_line, torch_info = "", {}
    loads = []  # 1-minute load average before each round: other work on the cores shows here
    for r in range(args.rounds):
        order = ["fastimg", "pytorch"] if r % 2 == 0 else ["pytorch", "fastimg"]
        loads.append(os.getloadavg()[0])
        for name in order:
            if name == "fastimg":
                res = run_fastimg(args, fastimg, beton, batch, log_every, args.work)
                start_line = res.pop("start_line")
            else:
                res = run_pytorch_isolated(args, spec)
                torch_info = {k: res.pop(k) for k in ("intra_threads", "torch", "input")}
            results[name].append(res)
            cpu = res["images_per_cpu_s"]
            print(f"round {r}: {name}: {res['images_per_s']:.0f} img/s, "
                  f"{'-' if cpu is None else format(cpu, '.0f')} img/CPU-s, {res['step_ms']:.1f} ms/step, "
                  f"loss {res['loss']:.3f}", file=sys.stderr, flush=True)

    def med(name, key):
        vals = [x[key] for x in results[name] if x[key] is not None]
        return statistics.median(vals) if vals else None

    def f(v, spec, suffix=""):
        return format(v, spec) + suffix if v is not None else "-"

    def ratio(a, b):
        return a / b if a and b else None

    pt_wall, pt_cpu = med("pytorch", "images_per_s"), med("pytorch", "images_per_cpu_s")
    rows = []
    for name, label in (("fastimg", "fastimg"), ("pytorch", "PyTorch eager + FFCV loader")):
        wall, cpu = med(name, "images_per_s"), med(name, "images_per_cpu_s")
        rows.append([label, f(wall, ".0f"), f(ratio(wall, pt_wall), ".2f", "x"), f(cpu, ".0f"),
                     f(ratio(cpu, pt_cpu), ".2f", "x"), f(med(name, "step_ms"), ".1f"), f(med(name, "loss"), ".3f")])
    rounds = []
    for r in range(args.rounds):
        a, b = results["fastimg"][r], results["pytorch"][r]
        rounds.append([str(r), "fastimg, pytorch" if r % 2 == 0 else "pytorch, fastimg",
                       f(a["images_per_s"], ".0f"), f(b["images_per_s"], ".0f"),
                       f(ratio(a["images_per_s"], b["images_per_s"]), ".2f", "x"),
                       f(a["images_per_cpu_s"], ".0f"), f(b["images_per_cpu_s"], ".0f"),
                       f(ratio(a["images_per_cpu_s"], b["images_per_cpu_s"]), ".2f", "x"), f(loads[r], ".2f")])
    t = cfg["train"]
    print(f"# {cfg['model']['arch']}, {t['min_res']} px, batch {batch}, {cfg['optimizer']['name']} momentum "
          f"{cfg['optimizer']['momentum']}, triangular lr, label smoothing {cfg['optimizer']['label_smoothing']}, "
          f"{t['precision']} {t['device']}, channels_last {str(t['channels_last']).lower()}; "
          f"{args.steps} timed steps after {args.warmup}, median of {args.rounds} alternating rounds")
    print(f"# {os.path.basename(beton)}: {samples} images, {classes} classes; loader threads {args.threads} (both); "
          f"intra-op threads: fastimg {fastimg_intra} ({'OMP_NUM_THREADS' if args.intra_threads else 'LibTorch default'}), "
          f"PyTorch {torch_info.get('intra_threads')} (torch.set_num_threads)"
          f"{', CPUs ' + args.cpus if args.cpus else ''}; PyTorch {torch_info.get('torch')}, SGD {args.torch_sgd}, "
          f"normalize {args.normalize}, input {torch_info.get('input')}" +
          (f"; --set {' '.join(args.set)}" if args.set else ""))
    print(f"# {start_line}")
    print(table(["system", "img/s", "vs PyTorch", "img/CPU-s", "vs PyTorch (CPU)", "ms/step", "loss (last log)"],
                rows, args.markdown))
    print()
    print(table(["round", "order", "fastimg img/s", "PyTorch img/s", "ratio", "fastimg img/CPU-s",
                 "PyTorch img/CPU-s", "ratio (CPU)", "load before"], rounds, args.markdown))


if __name__ == "__main__":
    main()
