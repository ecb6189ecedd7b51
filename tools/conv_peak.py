#!/usr/bin/env python3
"""The CPU's convolution peak through LibTorch's frozen oneDNN path: what the bundled model's
masked passes (docs/benchmarks.md) are compared with. Two large 3x3 convolutions, batch 32,
5 timed runs each after 3 warm-up runs; prints the best and the median GFLOP/s.
    tools/conv_peak.py [--threads N]   (default: every core, as the C++ uses)"""
import argparse
import os
import time

import torch


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for channels, size in [(256, 28), (128, 24)]:
        conv = torch.nn.Conv2d(channels, channels, 3, padding=1).eval()
        module = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(conv)))
        x = torch.randn(32, channels, size, size)
        with torch.no_grad():
            for _ in range(3):
                module(x)
            runs = []
            for _ in range(5):
                start = time.perf_counter()
                module(x)
                runs.append(time.perf_counter() - start)
        flop = 2 * 32 * channels * size * size * channels * 9
        runs.sort()
        print(f"conv {channels}->{channels} 3x3 at {size}x{size}, batch 32, {args.threads} threads: "
              f"{flop / runs[0] / 1e9:.0f} GFLOP/s best, {flop / runs[2] / 1e9:.0f} median")


if __name__ == "__main__":
    main()
