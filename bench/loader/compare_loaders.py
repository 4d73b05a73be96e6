#!/usr/bin/env python3
"""fastimg's loader against FFCV's Loader and torchvision's ImageFolder + DataLoader, one run, one table.

All three run the same train pipeline (random-resized crop to RES x RES + horizontal flip, uint8
output, no GPU) with the same number of worker threads/processes:

  fastimg      `fastimg bench loader --json` on the .beton (also reports the decode limit and the
               crop-decode gain it measures in the same process)
  ffcv         ffcv.loader.Loader on the same .beton: RandomResizedCropRGBImageDecoder + RandomHorizontalFlip
  torchvision  ImageFolder over the JPEG folder the .beton was written from: RandomResizedCrop +
               RandomHorizontalFlip + PILToTensor, DataLoader(num_workers=THREADS)

The dataset is ../shared/data/imagenet-sample replicated (symlinks) into an ImageFolder of COUNT
images in 40 classes, written with `fastimg write --max-res 512 --jpeg-quality 90 --jpeg-fraction F
--restart-interval R` (source JPEGs that fit are stored as they are, re-wrapped with restart markers when R > 0).
Usage:
  compare_loaders.py --fastimg build/fastimg [--res 160 224] [--jpeg-fraction 1 0.1] [--threads 2] [--restart-interval 4]
                     [--count 10240] [--rounds 3] [--work DIR] [--markdown]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SAMPLE = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "imagenet-sample"))
CLASSES = 40


def make_imagefolder(sample_dir, out_dir, count):
    """COUNT symlinks to the sample JPEGs, spread over CLASSES class folders (idempotent)."""
    files = sorted(f for f in os.listdir(sample_dir) if f.lower().endswith((".jpg", ".jpeg", ".png")))
    if not files:
        sys.exit(f"error: {sample_dir}: no images")
    marker = os.path.join(out_dir, f".complete-{count}")
    if os.path.exists(marker):
        return
    shutil.rmtree(out_dir, ignore_errors=True)
    for c in range(CLASSES):
        os.makedirs(os.path.join(out_dir, f"class{c:03d}"))
    for i in range(count):
        src = os.path.join(sample_dir, files[i % len(files)])
        dst = os.path.join(out_dir, f"class{i % CLASSES:03d}", f"img{i:06d}{os.path.splitext(src)[1]}")
        os.symlink(src, dst)
    open(marker, "w").close()


def write_beton(fastimg, folder, out, jpeg_fraction, restart_interval=0):
    if os.path.exists(out):
        return
    cmd = [fastimg, "write", "--from-imagefolder", folder, "--out", out, "--max-res", "512",
           "--jpeg-quality", "90", "--jpeg-fraction", str(jpeg_fraction), "--restart-interval", str(restart_interval)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def warm_page_cache(path):
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def run_fastimg(fastimg, beton, res, threads, batches):
    out = subprocess.run([fastimg, "bench", "loader", "--data", beton, "--res", str(res), "--threads", str(threads),
                          "--batches", str(batches), "--batch-size", "256", "--pipeline", "train", "--order", "random",
                          "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def process_cpu_seconds(pid):
    """user + system CPU seconds of one process (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_batches(iterator, warmup, batches, worker_pids=lambda: []):
    """(images/s, images per CPU-second) over `batches` batches after `warmup` (FFCV compiles its
    pipeline on the first). CPU time is this process's plus its worker processes': on a shared
    machine it is the steadier of the two figures."""
    it = iter(iterator)
    for _ in range(warmup):
        next(it)
    pids = [os.getpid()] + list(worker_pids())
    cpu0 = sum(process_cpu_seconds(p) for p in pids)
    images, start = 0, time.perf_counter()
    for _ in range(batches):
        images += len(next(it)[0])
    wall = time.perf_counter() - start
    cpu = sum(process_cpu_seconds(p) for p in pids) - cpu0
    return images / wall, images / max(cpu, 1e-9)


def cycle(make_loader):
    while True:
        yield from make_loader()


def run_ffcv(beton, res, threads, batches):
    from ffcv.fields.decoders import IntDecoder, RandomResizedCropRGBImageDecoder
    from ffcv.loader import Loader, OrderOption
    from ffcv.transforms import RandomHorizontalFlip

    loader = Loader(beton, batch_size=256, num_workers=threads, order=OrderOption.RANDOM, os_cache=True,
                    drop_last=True, pipelines={
                        "image": [RandomResizedCropRGBImageDecoder((res, res)), RandomHorizontalFlip()],
                        "label": [IntDecoder()]})
    return time_batches(cycle(lambda: loader), warmup=3, batches=batches)


def run_torchvision(folder, res, threads, batches):
    import torch
    from torchvision import datasets, transforms

    tf = transforms.Compose([transforms.RandomResizedCrop(res), transforms.RandomHorizontalFlip(),
                             transforms.PILToTensor()])
    loader = torch.utils.data.DataLoader(datasets.ImageFolder(folder, transform=tf), batch_size=256, shuffle=True,
                                         num_workers=threads, drop_last=True, persistent_workers=True)
    # Persistent workers: the iterator (and its worker processes) outlive each epoch.
    return time_batches(cycle(lambda: loader), warmup=2, batches=batches,
                        worker_pids=lambda: [w.pid for w in loader._iterator._workers])


def run_isolated(which, path, res, threads, batches):
    """One loader in its own Python process, so that no thread or worker of another outlives its
    measurement and competes for the cores. Returns (images/s, images per CPU-second)."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--one", which, path, str(res), str(threads),
                          str(batches)], check=True, capture_output=True, text=True).stdout
    wall, cpu = out.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def median(values):
    v = sorted(values)
    return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2


def measure_cell(args, fastimg, folder, beton, fraction, res):
    """One table cell: ROUNDS rounds of the three loaders, the order rotating from round to round.
    Each figure is the median over the rounds; each ratio the median of the rounds' own ratios, so
    that a machine slowing down between two rounds does not tilt it."""
    loaders = ["fastimg"] + [l for l in ("ffcv", "torchvision") if l not in args.skip]
    runs = {l: [] for l in loaders}
    fastimg_json = []
    for r in range(args.rounds):
        for which in loaders[r % len(loaders):] + loaders[:r % len(loaders)]:
            if which == "fastimg":
                f = run_fastimg(fastimg, beton, res, args.threads, args.batches)
                fastimg_json.append(f)
                runs[which].append((f["images_per_s"], f["images_per_cpu_s"]))
            elif which == "ffcv":
                runs[which].append(run_isolated("ffcv", beton, res, args.threads, args.batches))
            else:  # torchvision reads the JPEG folder whatever the .beton's JPEG fraction
                runs[which].append(run_isolated("torchvision", folder, res, args.threads, args.torchvision_batches))
    row = {"jpeg_fraction": fraction, "res": res, "rounds": args.rounds}
    for l in loaders:
        row[l] = (median(w for w, _ in runs[l]), median(c for _, c in runs[l]))
        if l != "fastimg":
            row["vs_" + l] = (median(a[0] / b[0] for a, b in zip(runs["fastimg"], runs[l])),
                              median(a[1] / b[1] for a, b in zip(runs["fastimg"], runs[l])))
    for key, name in (("decode_limit", "decode_limit_images_per_s"), ("crop_gain", "crop_decode_gain"),
                      ("of_limit_x_gain", "ratio_to_decode_limit_x_crop_gain"),
                      ("of_limit_x_gain_cpu", "ratio_to_decode_limit_x_crop_gain_per_cpu_s")):
        row[key] = median(f[name] for f in fastimg_json)
    return row


def main():
    if len(sys.argv) == 7 and sys.argv[1] == "--one":
        which, path, res, threads, batches = sys.argv[2], sys.argv[3], *map(int, sys.argv[4:7])
        run = run_ffcv if which == "ffcv" else run_torchvision
        print(*run(path, res, threads, batches))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fastimg", required=True)
    ap.add_argument("--sample-dir", default=DEFAULT_SAMPLE)
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "fastimg-compare"))
    ap.add_argument("--count", type=int, default=10240)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--res", type=int, nargs="+", default=[160])
    ap.add_argument("--jpeg-fraction", type=float, nargs="+", default=[1.0])
    ap.add_argument("--batches", type=int, default=40, help="timed batches of 256 (fastimg, ffcv)")
    ap.add_argument("--torchvision-batches", type=int, default=8, help="timed batches of 256 (torchvision)")
    ap.add_argument("--skip", nargs="*", default=[], choices=["ffcv", "torchvision"])
    ap.add_argument("--restart-interval", type=int, default=0,
                    help="fastimg write --restart-interval (all loaders read the same file)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per cell, loaders in rotating order; medians reported")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = ap.parse_args()

    fastimg = os.path.abspath(args.fastimg)
    os.makedirs(args.work, exist_ok=True)
    folder = os.path.join(args.work, f"imagefolder-{args.count}")
    make_imagefolder(args.sample_dir, folder, args.count)

    rows = []
    for fraction in args.jpeg_fraction:
        beton = os.path.join(args.work, f"sample-{args.count}-jpeg{fraction:g}-rst{args.restart_interval}.beton")
        write_beton(fastimg, folder, beton, fraction, args.restart_interval)
        warm_page_cache(beton)
        for res in args.res:
            rows.append(measure_cell(args, fastimg, folder, beton, fraction, res))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)

    def fmt(v, spec, suffix=""):
        return format(v, spec) + suffix if v is not None else "-"


    # Each loader: images/s (wall) and images per CPU-second (robust when other jobs share the cores).
    head = ["jpeg frac", "res", "fastimg img/s", "ffcv img/s", "torchvision img/s", "vs ffcv", "vs torchvision",
            "fastimg img/CPU-s", "ffcv img/CPU-s", "torchvision img/CPU-s", "vs ffcv (CPU)", "vs torchvision (CPU)",
            "decode limit img/s", "crop gain", "of limit x gain (wall)", "(CPU)"]
    lines = []
    for r in rows:
        fi = r["fastimg"]
        ff, tv = r.get("ffcv", (None, None)), r.get("torchvision", (None, None))
        vs_ff, vs_tv = r.get("vs_ffcv", (None, None)), r.get("vs_torchvision", (None, None))
        lines.append([fmt(r["jpeg_fraction"], "g"), str(r["res"]),
                      fmt(fi[0], ".0f"), fmt(ff[0], ".0f"), fmt(tv[0], ".0f"),
                      fmt(vs_ff[0], ".2f", "x"), fmt(vs_tv[0], ".2f", "x"),
                      fmt(fi[1], ".0f"), fmt(ff[1], ".0f"), fmt(tv[1], ".0f"),
                      fmt(vs_ff[1], ".2f", "x"), fmt(vs_tv[1], ".2f", "x"),
                      fmt(r["decode_limit"], ".0f"), fmt(r["crop_gain"], ".2f"),
                      fmt(100 * r["of_limit_x_gain"], ".0f", "%"), fmt(100 * r["of_limit_x_gain_cpu"], ".0f", "%")])
    print(f"# {args.count} images, {args.threads} threads, train pipeline (RRC + flip, uint8), batch 256, "
          f"medians of {args.rounds} rounds (ratios: medians of the rounds' ratios)")
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for l in lines:
            print("| " + " | ".join(l) + " |")
    else:
        widths = [max(len(h), *(len(l[i]) for l in lines)) for i, h in enumerate(head)]
        print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
        for l in lines:
            print("  ".join(c.rjust(w) for c, w in zip(l, widths)))


if __name__ == "__main__":
    main()
