"""Writing and inspecting `.beton` files (what `fastimg write` and `fastimg inspect` do)."""
import json
import os

import _fastimg


def write_imagefolder(folder, out, *, max_resolution=0, jpeg_fraction=1.0, jpeg_quality=90, reencode=False,
                      restart_interval=0, page_size=1 << 23, workers=0, seed=0, shuffle=True, strict=False,
                      progress=False):
    """FOLDER/<class>/<image> to a .beton file; returns the report (written, skipped, passthrough, errors, ...).

    A baseline 3-channel JPEG within max_resolution is stored as its own bytes; reencode=True
    decodes and re-encodes it at jpeg_quality instead (FFCV's writer always re-encodes).
    restart_interval=N (e.g. 4) writes JPEG restart markers about every N MCUs, so that the loader
    entropy-decodes only the part of an image a crop covers."""
    options = dict(locals())
    del options["folder"], options["out"]
    return _fastimg.write_imagefolder(os.fspath(folder), os.fspath(out), **options)


def write_webdataset(shards, out, *, max_resolution=0, jpeg_fraction=1.0, jpeg_quality=90, reencode=False,
                     restart_interval=0, page_size=1 << 23, workers=0, seed=0, shuffle=True, strict=False,
                     progress=False):
    """WebDataset shards (a .tar, a glob or {a..b}; image + .cls per sample) to a .beton file; the
    options are write_imagefolder's."""
    options = dict(locals())
    del options["shards"], options["out"]
    return _fastimg.write_webdataset(os.fspath(shards), os.fspath(out), **options)


def inspect(path):
    """The header, fields, JPEG/raw split and size and label histograms of a .beton file, as a dict."""
    return json.loads(_fastimg.inspect_json(os.fspath(path)))
