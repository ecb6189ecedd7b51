#!/usr/bin/python3
"""Tiles annotated frames (PNG files) into one contact sheet PNG, in file-name order.

  tools/contact_sheet.py --out sheet.png [--columns 4] FRAME.png...
"""
import argparse
import math
import sys

from PIL import Image, ImageDraw


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--columns", type=int, default=4)
    parser.add_argument("--caption", action="append", default=[], help="text under each tile, in order")
    parser.add_argument("frames", nargs="+")
    args = parser.parse_args()
    if args.columns < 1:
        sys.exit("--columns must be at least 1")
    tiles = [Image.open(path).convert("RGB") for path in sorted(args.frames)]
    width, height = tiles[0].size
    gap, caption_height = 4, 14 if args.caption else 0
    rows = math.ceil(len(tiles) / args.columns)
    sheet = Image.new("RGB", (args.columns * (width + gap) + gap, rows * (height + caption_height + gap) + gap),
                      (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    for i, tile in enumerate(tiles):
        x = gap + (i % args.columns) * (width + gap)
        y = gap + (i // args.columns) * (height + caption_height + gap)
        sheet.paste(tile.resize((width, height)), (x, y))
        if i < len(args.caption):
            draw.text((x + 2, y + height + 1), args.caption[i], fill=(230, 230, 230))
    sheet.save(args.out)
    print(f"wrote {args.out} ({len(tiles)} frames)")


if __name__ == "__main__":
    main()
