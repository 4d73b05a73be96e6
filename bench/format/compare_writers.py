#!/usr/bin/env python3
"""`fastimg write` against FFCV's DatasetWriter on the same ImageFolder, the same worker count.

Three writers, run in alternating rounds (A B C A B C ...), median images/s of each:

  fastimg              `fastimg write --max-res R --jpeg-fraction F`: a source JPEG that is 3-channel
                       baseline and fits --max-res is stored as its own bytes (passthrough)
  fastimg --reencode   decode + resize + re-encode every image, like FFCV
  ffcv                 ffcv.writer.DatasetWriter over torchvision's ImageFolder (PIL images), the way
                       ffcv-imagenet's write_imagenet.py does: RGBImageField(write_mode=proportion,
                       max_resolution=R, jpeg_quality=90, compress_probability=F)

The folder is ../shared/data/imagenet-sample replicated (symlinks) to COUNT images in 40 classes
(bench/loader/compare_loaders.py's). The page cache is warm for every writer (the sources are
read once before timing).
Usage:
  compare_writers.py --fastimg build/fastimg [--count 4096] [--workers 2] [--max-res 512]
                     [--jpeg-fraction 1] [--rounds 3] [--work DIR] [--markdown]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "loader"))
from compare_loaders import DEFAULT_SAMPLE, make_imagefolder  # noqa: E402

FFCV_WRITE = """
import sys, time
from torchvision.datasets import ImageFolder
from ffcv.fields import IntField, RGBImageField
from ffcv.writer import DatasetWriter
folder, out, workers, max_res, fraction = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
max_res = max_res or None  # FFCV's "no limit"
dataset = ImageFolder(folder)
fields = {"image": RGBImageField(write_mode="proportion", max_resolution=max_res, jpeg_quality=90,
                                 compress_probability=fraction),
          "label": IntField()}
start = time.perf_counter()
DatasetWriter(out, fields, num_workers=workers).from_indexed_dataset(dataset, chunksize=100)
print(time.perf_counter() - start)
"""


def time_fastimg(fastimg, folder, out, args, reencode):
    cmd = [fastimg, "write", "--from-imagefolder", folder, "--out", out, "--max-res", str(args.max_res),
           "--jpeg-quality", "90", "--jpeg-fraction", str(args.jpeg_fraction), "--workers", str(args.workers)]
    if reencode:
        cmd.append("--reencode")
    # The writer's own time (its report line), like FFCV's below: no process start, no folder scan.
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rate = float(out.strip().splitlines()[-1].rsplit(",", 1)[1].split()[0])
    return args.count / rate


def time_ffcv(folder, out, args):
    # The writer's own time, without the interpreter start, the ffcv/torch import and the folder scan.
    result = subprocess.run([sys.executable, "-c", FFCV_WRITE, folder, out, str(args.workers), str(args.max_res),
                             str(args.jpeg_fraction)], check=True, capture_output=True, text=True)
    return float(result.stdout.strip().splitlines()[-1])


def warm(folder):
    for root, _, files in os.walk(folder):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                fh.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fastimg", required=True)
    ap.add_argument("--count", type=int, default=4096)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-res", type=int, default=512)
    ap.add_argument("--jpeg-fraction", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sample", default=DEFAULT_SAMPLE)
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "fastimg-compare-writers"))
    ap.add_argument("--skip-ffcv", action="store_true")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()

    folder = os.path.join(args.work, f"imagefolder-{args.count}")
    make_imagefolder(args.sample, folder, args.count)
    warm(folder)
    runs = {"fastimg": [], "fastimg --reencode": [], "ffcv": []}
    for r in range(args.rounds):
        runs["fastimg"].append(time_fastimg(args.fastimg, folder, os.path.join(args.work, "pass.beton"), args, False))
        runs["fastimg --reencode"].append(
            time_fastimg(args.fastimg, folder, os.path.join(args.work, "reencode.beton"), args, True))
        if not args.skip_ffcv:
            runs["ffcv"].append(time_ffcv(folder, os.path.join(args.work, "ffcv.beton"), args))
        print(f"round {r + 1}: " + ", ".join(f"{k} {args.count / v[-1]:.0f} img/s" for k, v in runs.items() if v),
              file=sys.stderr)

    with open(os.path.join(args.work, "pass.beton.json")) as f:
        passthrough = json.load(f)["passthrough"]
    rates = {k: args.count / statistics.median(v) for k, v in runs.items() if v}
    sizes = {k: os.path.getsize(os.path.join(args.work, f)) / 2**20
             for k, f in (("fastimg", "pass.beton"), ("fastimg --reencode", "reencode.beton"), ("ffcv", "ffcv.beton"))
             if k in rates}
    base = rates.get("ffcv")
    sep = " | " if args.markdown else "  "
    head = ["writer", "images/s (median)", "vs ffcv", "file MiB"]
    print(("| " if args.markdown else "") + sep.join(head) + (" |" if args.markdown else ""))
    if args.markdown:
        print("|" + "---|" * len(head))
    for k, v in rates.items():
        cells = [k, f"{v:.0f}", f"{v / base:.2f}x" if base else "-", f"{sizes[k]:.1f}"]
        print(("| " if args.markdown else "") + sep.join(cells) + (" |" if args.markdown else ""))
    print(f"({args.count} images, {args.workers} workers, --max-res {args.max_res}, JPEG fraction "
          f"{args.jpeg_fraction}, {args.rounds} alternating rounds; fastimg stored {passthrough} of them as is)")


if __name__ == "__main__":
    main()
