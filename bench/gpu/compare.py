"""Runs (a) train_step_bench.py (PyTorch eager) and (b) the C++ train_step_bench (fastimg, CUDA
graph and eager) on the same GPU in one call and prints the table: what, baseline, ours, ratio.

  python3 bench/gpu/compare.py --exe BUILD/bench/gpu/train_step_bench [--json] [--markdown]
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_jsonl(cmd):
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--exe", required=True)
    p.add_argument("--models", default="resnet18,resnet50")
    p.add_argument("--batches", default="256,512")
    p.add_argument("--resolutions", default="160,192")
    p.add_argument("--warmup", default="10")
    p.add_argument("--iters", default="50")
    p.add_argument("--json", action="store_true")
    p.add_argument("--markdown", action="store_true", help="rows for bench/RESULTS.md")
    a = p.parse_args()
    common = ["--models", a.models, "--batches", a.batches, "--resolutions", a.resolutions,
              "--warmup", a.warmup, "--iters", a.iters]
    base = run_jsonl([sys.executable, os.path.join(HERE, "train_step_bench.py")] + common)
    graph = run_jsonl([a.exe, "--graph", "1"] + common)
    eager = run_jsonl([a.exe, "--graph", "0"] + common)
    key = lambda r: (r["model"], r["batch"], r["resolution"])
    g = {key(r): r["images_per_s"] for r in graph}
    e = {key(r): r["images_per_s"] for r in eager}
    rows = []
    for r in base:
        k = key(r)
        rows.append({"model": k[0], "batch": k[1], "resolution": k[2], "pytorch_eager": r["images_per_s"],
                     "fastimg_eager": e.get(k), "fastimg_graph": g.get(k),
                     "ratio_b_a": (g.get(k) or 0) / r["images_per_s"]})
    if a.json:
        print(json.dumps({"rows": rows}))
        return
    if a.markdown:
        for r in rows:
            print(f"| {r['model']} | {r['batch']} | {r['resolution']} | {r['pytorch_eager']:.0f} | "
                  f"{r['fastimg_eager'] or 0:.0f} | {r['fastimg_graph'] or 0:.0f} | {r['ratio_b_a']:.2f} |")
        return
    print(f"{'what':<28}{'pytorch eager (a)':>18}{'fastimg eager':>15}{'fastimg graph (b)':>19}{'b/a':>7}")
    for r in rows:
        what = f"{r['model']} b{r['batch']} {r['resolution']}px"
        print(f"{what:<28}{r['pytorch_eager']:>18.0f}{r['fastimg_eager'] or 0:>15.0f}"
              f"{r['fastimg_graph'] or 0:>19.0f}{r['ratio_b_a']:>7.2f}")


if __name__ == "__main__":
    main()
