"""Fixtures for the Python API tests: .beton files written by fastimg from the shared ImageNet sample
and from generated same-size images (what FFCV's SimpleRGBImageDecoder needs)."""
import os
import pathlib

import numpy as np
import pytest

import fastimg

REPO = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("FASTIMG_SHARED_DIR", REPO.parent / "shared"))
SAMPLE = SHARED / "data" / "imagenet-sample"
NUM_CLASSES = 4
UNIFORM_SIDE = 40


def ffcv_or_skip():
    return pytest.importorskip("ffcv", reason="FFCV is the reference here; scripts/setup.sh installs it")


@pytest.fixture(scope="session")
def sample_folder(tmp_path_factory):
    """The 256 sample JPEGs as an ImageFolder of 4 classes (symlinks)."""
    root = tmp_path_factory.mktemp("imagefolder")
    files = sorted(SAMPLE.glob("*.JPEG")) or sorted(SAMPLE.iterdir())
    for i, f in enumerate(files):
        d = root / f"class{i % NUM_CLASSES}"
        d.mkdir(exist_ok=True)
        (d / f.name).symlink_to(f)
    return root


@pytest.fixture(scope="session")
def jpeg_beton(sample_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("beton") / "jpeg.beton"
    fastimg.write_imagefolder(sample_folder, out, max_resolution=160, jpeg_fraction=1.0, workers=2, seed=1)
    return out


@pytest.fixture(scope="session")
def raw_beton(sample_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("beton") / "raw.beton"
    fastimg.write_imagefolder(sample_folder, out, max_resolution=96, jpeg_fraction=0.0, workers=2, seed=1)
    return out


def uniform_image(i):
    y, x = np.mgrid[0:UNIFORM_SIDE, 0:UNIFORM_SIDE]
    img = np.empty((UNIFORM_SIDE, UNIFORM_SIDE, 3), np.uint8)
    img[..., 0] = (x * 6 + i) % 256
    img[..., 1] = (y * 6) % 256
    img[..., 2] = (37 * i) % 256
    return img


@pytest.fixture(scope="session")
def uniform_beton(tmp_path_factory):
    """48 raw 40x40 images (PNG sources) in 4 classes."""
    from PIL import Image
    root = tmp_path_factory.mktemp("uniform")
    for i in range(48):
        d = root / "src" / f"c{i % NUM_CLASSES}"
        d.mkdir(parents=True, exist_ok=True)
        Image.fromarray(uniform_image(i)).save(d / f"{i:03d}.png")
    out = root / "uniform.beton"
    fastimg.write_imagefolder(root / "src", out, jpeg_fraction=0.0, workers=2, seed=3)
    return out
