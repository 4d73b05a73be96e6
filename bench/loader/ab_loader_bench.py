#!/usr/bin/env python3
"""Two `fastimg bench loader` configurations, A and B, alternating (A B, B A, A B, ...), medians.

On a noisy machine two back-to-back measurements differ by more than most changes do; alternating
rounds and comparing medians does not. A configuration is a fastimg binary and a .beton, so this
compares two builds on one file or one build on two files (say, two restart intervals).

Usage:
  ab_loader_bench.py --a BIN_A:FILE_A --b BIN_B:FILE_B [--res 224] [--threads 1] [--batches 20] [--rounds 4]
Prints, for each figure, A's and B's medians and B/A.
"""
import argparse
import json
import statistics
import subprocess

FIGURES = ["images_per_s", "images_per_cpu_s", "single_core_crop_decode_images_per_cpu_s",
           "single_core_decode_images_per_cpu_s", "crop_decode_gain"]


def run(binary, beton, args):
    out = subprocess.run([binary, "bench", "loader", "--data", beton, "--res", str(args.res), "--threads",
                          str(args.threads), "--batches", str(args.batches), "--batch-size", "256", "--pipeline",
                          "train", "--order", "random", "--no-baseline", "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", required=True, help="BINARY:FILE")
    ap.add_argument("--b", required=True, help="BINARY:FILE")
    ap.add_argument("--res", type=int, default=224)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()
    configs = {"A": args.a.split(":", 1), "B": args.b.split(":", 1)}
    results = {"A": [], "B": []}
    for r in range(args.rounds):
        for name in ("A", "B") if r % 2 == 0 else ("B", "A"):
            results[name].append(run(*configs[name], args))
    print(f"{'figure':45s} {'A':>10s} {'B':>10s} {'B/A':>7s}   (medians of {args.rounds} alternating rounds)")
    for f in FIGURES:
        a = statistics.median(x[f] for x in results["A"])
        b = statistics.median(x[f] for x in results["B"])
        print(f"{f:45s} {a:10.3f} {b:10.3f} {b / a if a else 0:7.3f}")


if __name__ == "__main__":
    main()
