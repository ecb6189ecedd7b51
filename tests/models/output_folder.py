"""The --out folder every test-model generator writes into, made if missing."""
import argparse
import os


def output_folder(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", required=True, help="folder to write the models and their reference outputs into")
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    return out
