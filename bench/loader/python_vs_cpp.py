#!/usr/bin/env python3
"""fastimg's loader from Python against the same loader from C++ and against FFCV, side by side.

Same .beton, same pipeline (random-resized crop to RES x RES + horizontal flip, uint8 output, batch
256, random order), same thread count; each loader runs in its own process, the rounds alternate
(C++, Python, ffcv_compat, FFCV, C++, ...) and the table gives medians over the rounds:

  fastimg C++          `fastimg bench loader --json`
  fastimg Python       fastimg.Loader (torch tensors)
  ffcv_compat          fastimg.ffcv_compat.Loader with FFCV's pipeline objects (numpy arrays, as FFCV yields)
  ffcv                 ffcv.loader.Loader

Usage: python_vs_cpp.py --fastimg build/fastimg [--res 160] [--threads 2] [--rounds 3] [--count 10240]
"""
import argparse
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare_loaders as common  # noqa: E402


def run_python(which, beton, res, threads, batches):
    if which == "python":
        import fastimg
        loader = fastimg.Loader(beton, 256, resolution=res, threads=threads, order="random")
        return common.time_batches(common.cycle(lambda: loader), warmup=3, batches=batches)
    from fastimg.ffcv_compat import IntDecoder, Loader, OrderOption, RandomHorizontalFlip, \
        RandomResizedCropRGBImageDecoder
    loader = Loader(beton, batch_size=256, num_workers=threads, order=OrderOption.RANDOM, drop_last=True,
                    pipelines={"image": [RandomResizedCropRGBImageDecoder((res, res)), RandomHorizontalFlip()],
                               "label": [IntDecoder()]})
    return common.time_batches(common.cycle(lambda: loader), warmup=3, batches=batches)


def isolated(which, beton, res, threads, batches):
    if which == "ffcv":
        return common.run_isolated("ffcv", beton, res, threads, batches)
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--one", which, beton, str(res), str(threads),
                          str(batches)], check=True, capture_output=True, text=True).stdout
    wall, cpu = out.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def main():
    if len(sys.argv) == 7 and sys.argv[1] == "--one":
        print(*run_python(sys.argv[2], sys.argv[3], *map(int, sys.argv[4:7])))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fastimg", required=True)
    ap.add_argument("--sample-dir", default=common.DEFAULT_SAMPLE)
    ap.add_argument("--work", default="/tmp/fastimg-compare")
    ap.add_argument("--count", type=int, default=10240)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--res", type=int, default=160)
    ap.add_argument("--jpeg-fraction", type=float, default=1.0)
    ap.add_argument("--batches", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-ffcv", action="store_true")
    args = ap.parse_args()

    fastimg = os.path.abspath(args.fastimg)
    os.makedirs(args.work, exist_ok=True)
    folder = os.path.join(args.work, f"imagefolder-{args.count}")
    common.make_imagefolder(args.sample_dir, folder, args.count)
    beton = os.path.join(args.work, f"sample-{args.count}-jpeg{args.jpeg_fraction:g}.beton")
    common.write_beton(fastimg, folder, beton, args.jpeg_fraction)
    common.warm_page_cache(beton)

    names = ["fastimg C++", "fastimg Python", "ffcv_compat"] + ([] if args.skip_ffcv else ["ffcv"])
    results = {n: [] for n in names}
    for r in range(args.rounds):
        for name in names:
            if name == "fastimg C++":
                f = common.run_fastimg(fastimg, beton, args.res, args.threads, args.batches)
                results[name].append((f["images_per_s"], f["images_per_cpu_s"]))
            else:
                which = {"fastimg Python": "python", "ffcv_compat": "compat", "ffcv": "ffcv"}[name]
                results[name].append(isolated(which, beton, args.res, args.threads, args.batches))
            print(f"round {r}: {name}: {results[name][-1][0]:.0f} img/s, {results[name][-1][1]:.0f} img/CPU-s",
                  file=sys.stderr, flush=True)

    med = {n: (statistics.median(v[0] for v in rs), statistics.median(v[1] for v in rs)) for n, rs in results.items()}
    cpp = med["fastimg C++"]
    print(f"{args.count} images, jpeg fraction {args.jpeg_fraction:g}, {args.res} px, {args.threads} threads, "
          f"batch 256, medians of {args.rounds} alternating rounds")
    print("| loader | img/s | vs C++ | img/CPU-s | vs C++ (CPU) | vs ffcv | vs ffcv (CPU) |")
    print("|---|---|---|---|---|---|---|")
    for n in names:
        wall, cpu = med[n]
        vs_ffcv = (f"{wall / med['ffcv'][0]:.2f}x", f"{cpu / med['ffcv'][1]:.2f}x") if "ffcv" in med else ("-", "-")
        print(f"| {n} | {wall:.0f} | {wall / cpp[0]:.3f} | {cpu:.0f} | {cpu / cpp[1]:.3f} | {vs_ffcv[0]} | {vs_ffcv[1]} |")


if __name__ == "__main__":
    main()
