"""import fastimg: the writer, the inspector and their errors."""
import subprocess
import sys

import pytest

import fastimg
from conftest import NUM_CLASSES


def test_writer_report_and_inspect_agree(jpeg_beton, raw_beton):
    summary = fastimg.inspect(jpeg_beton)
    assert [f["name"] for f in summary["fields"]] == ["image", "label"]
    assert summary["num_samples"] == 256
    assert summary["images"]["jpeg"] == 256 and summary["images"]["raw"] == 0
    assert summary["images"]["max_side"] <= 160
    assert summary["labels"]["num_classes"] == NUM_CLASSES
    assert fastimg.inspect(raw_beton)["images"]["raw"] == 256


def test_write_is_byte_identical_for_any_worker_count(sample_folder, tmp_path):
    one, two = tmp_path / "one.beton", tmp_path / "two.beton"
    report = fastimg.write_imagefolder(sample_folder, one, max_resolution=64, jpeg_fraction=0.5, workers=1, seed=7)
    fastimg.write_imagefolder(sample_folder, two, max_resolution=64, jpeg_fraction=0.5, workers=2, seed=7)
    assert report["written"] == 256 and report["skipped"] == 0 and report["jpeg"] + report["raw"] == 256
    assert one.read_bytes() == two.read_bytes()


def test_passthrough_keeps_source_jpegs_and_reencode_forces_a_new_encoding(sample_folder, tmp_path):
    kept = fastimg.write_imagefolder(sample_folder, tmp_path / "kept.beton", workers=2)
    forced = fastimg.write_imagefolder(sample_folder, tmp_path / "forced.beton", workers=2, reencode=True)
    assert kept["written"] == forced["written"] == 256
    assert kept["passthrough"] > 200 and forced["passthrough"] == 0
    data = (tmp_path / "kept.beton").read_bytes()
    stored = sum(data.find(p.read_bytes()) >= 0 for p in sorted(sample_folder.glob("*/*")))
    assert stored == kept["passthrough"]  # byte for byte


def test_write_webdataset(tmp_path, sample_folder):
    import tarfile
    shard = tmp_path / "shard-0.tar"
    with tarfile.open(shard, "w") as tar:
        for i, path in enumerate(sorted(sample_folder.glob("*/*"))[:12]):
            tar.add(path.resolve(), arcname=f"s{i:04d}.jpg")
            cls = tmp_path / f"s{i:04d}.cls"
            cls.write_text(str(i % 3))
            tar.add(cls, arcname=cls.name)
    report = fastimg.write_webdataset(shard, tmp_path / "wds.beton", workers=2)
    assert report["written"] == 12
    assert report["passthrough"] > 0  # WebDataset JPEGs are stored as their own bytes too
    assert fastimg.inspect(tmp_path / "wds.beton")["labels"]["num_classes"] == 3


def test_bad_input_is_a_one_line_error_and_leaves_nothing(tmp_path):
    with pytest.raises(fastimg.Error) as e:
        fastimg.write_imagefolder(tmp_path / "missing", tmp_path / "out.beton")
    assert str(tmp_path / "missing") in str(e.value) and "\n" not in str(e.value)
    assert not (tmp_path / "out.beton").exists()
    (tmp_path / "junk.beton").write_bytes(b"not a beton file" * 10)
    with pytest.raises(fastimg.Error) as e:
        fastimg.inspect(tmp_path / "junk.beton")
    assert "junk.beton" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(TypeError):
        fastimg.write_imagefolder(tmp_path, tmp_path / "x.beton", max_resolution="big")


def test_ffcv_compat_imports_without_ffcv():
    # A None entry in sys.modules makes `import ffcv` fail, as on a machine without FFCV.
    code = ("import sys; sys.modules['ffcv'] = None\n"
            "import fastimg.ffcv_compat as f\n"
            "from fastimg.ffcv_compat.loader import Loader, OrderOption\n"
            "from fastimg.ffcv_compat.fields.rgb_image import RandomResizedCropRGBImageDecoder\n"
            "from fastimg.ffcv_compat.fields.basics import IntDecoder\n"
            "from fastimg.ffcv_compat.pipeline.operation import Operation\n"
            "print(len(f.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
