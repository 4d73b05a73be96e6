"""`pip install --no-build-isolation .` from the repository gives a working `import fastimg`: the
wheel is built from this checkout (pyproject.toml, scikit-build-core), installed into a fresh
virtual environment that sees only the system's torch, and imported from a neutral directory."""
import os
import pathlib
import subprocess
import sys

from conftest import REPO

CHECK = """
import fastimg, _fastimg, sys
assert fastimg.__file__.startswith(sys.prefix), fastimg.__file__
assert _fastimg.__file__.startswith(sys.prefix), _fastimg.__file__
report = fastimg.write_imagefolder(sys.argv[1], "out.beton", max_resolution=64, workers=1)
images, labels = next(iter(fastimg.Loader("out.beton", batch_size=8, resolution=32, order="sequential")))
assert tuple(images.shape) == (8, 32, 32, 3) and sorted(labels.tolist()) == [0, 0, 0, 0, 1, 1, 1, 1], labels
from fastimg.ffcv_compat.loader import Loader, OrderOption
print("ok", report["written"])
"""


def test_wheel_builds_installs_and_imports(tmp_path, sample_folder):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-q",
                    "--config-settings=build-dir=" + str(tmp_path / "build"), "-w", str(tmp_path / "wheel"),
                    str(REPO)], check=True)
    wheel, = (tmp_path / "wheel").glob("fastimg-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(tmp_path / "venv")], check=True)
    python = tmp_path / "venv" / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True)

    folder = tmp_path / "images"
    for label in range(2):
        (folder / f"c{label}").mkdir(parents=True)
        for f in sorted(pathlib.Path(sample_folder, f"class{label}").iterdir())[:4]:
            (folder / f"c{label}" / f.name).symlink_to(f.resolve())
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([python, "-c", CHECK, str(folder)], cwd=tmp_path, env=env, check=True,
                         capture_output=True, text=True).stdout
    assert out.split() == ["ok", "8"]
