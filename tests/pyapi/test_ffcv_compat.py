"""fastimg.ffcv_compat against FFCV itself (where installed) on the same fastimg-written files."""
import numpy as np
import pytest
import torch

import _fastimg
import fastimg
from fastimg.ffcv_compat import (CenterCropRGBImageDecoder, Convert, IntDecoder, Loader, NormalizeImage,
                                 OrderOption, RandomHorizontalFlip, RandomResizedCropRGBImageDecoder,
                                 SimpleRGBImageDecoder, Squeeze, ToDevice, ToTensor, ToTorchImage)
from fastimg.ffcv_compat.pipeline.operation import Operation
from conftest import ffcv_or_skip

MEAN = np.array([0.485, 0.456, 0.406]) * 255
STD = np.array([0.229, 0.224, 0.225]) * 255


def ffcv_batches(path, image_ops, label_ops, **kw):
    ffcv = ffcv_or_skip()
    from ffcv.loader import Loader as FfcvLoader, OrderOption as FfcvOrder
    kw.setdefault("order", FfcvOrder.SEQUENTIAL)
    loader = FfcvLoader(str(path), batch_size=kw.pop("batch_size", 16), num_workers=1, drop_last=False,
                        pipelines={"image": image_ops, "label": label_ops}, **kw)
    assert ffcv
    return [(np.array(x), np.array(y)) for x, y in loader], loader


def our_batches(path, image_ops, label_ops, batch_size=16, **kw):
    kw.setdefault("order", OrderOption.SEQUENTIAL)
    loader = Loader(path, batch_size=batch_size, num_workers=2, drop_last=False,
                    pipelines={"image": image_ops, "label": label_ops}, **kw)
    return [(np.array(x), np.array(y)) for x, y in loader], loader


def ffcv_ops():
    ffcv_or_skip()
    from ffcv import transforms
    from ffcv.fields import decoders
    return decoders, transforms


def test_simple_decoder_on_raw_images_equals_ffcv_exactly(uniform_beton):
    d, t = ffcv_ops()
    theirs, _ = ffcv_batches(uniform_beton, [d.SimpleRGBImageDecoder()], [d.IntDecoder()])
    ours, _ = our_batches(uniform_beton, [SimpleRGBImageDecoder()], [IntDecoder()])
    assert len(ours) == len(theirs) == 3
    for (x, y), (fx, fy) in zip(ours, theirs):
        assert x.dtype == fx.dtype == np.uint8 and x.shape == fx.shape == (16, 40, 40, 3)
        assert y.dtype == fy.dtype and y.shape == fy.shape == (16, 1)
        assert np.array_equal(x, fx) and np.array_equal(y, fy)


def test_tensor_stages_have_ffcv_types_shapes_and_layout(uniform_beton):
    d, t = ffcv_ops()
    theirs = ffcv_batches(uniform_beton, [d.SimpleRGBImageDecoder(), t.ToTensor(), t.ToTorchImage()],
                          [d.IntDecoder(), t.ToTensor(), t.Squeeze()])[1]
    ours = Loader(uniform_beton, 16, order=OrderOption.SEQUENTIAL,
                  pipelines={"image": [SimpleRGBImageDecoder(), ToTensor(), ToTorchImage()],
                             "label": [IntDecoder(), ToTensor(), Squeeze()]})
    (fx, fy), (x, y) = next(iter(theirs)), next(iter(ours))
    for a, b in ((x, fx), (y, fy)):
        assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape and a.device == b.device
        assert a.stride() == b.stride()
    assert x.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(x, fx) and torch.equal(y, fy)
    planar = Loader(uniform_beton, 16, order=OrderOption.SEQUENTIAL,
                    pipelines={"image": [SimpleRGBImageDecoder(), ToTensor(), ToTorchImage(channels_last=False),
                                         ToDevice("cpu"), Convert(torch.float32)]})
    (x2, _), = [next(iter(planar))]
    assert x2.is_contiguous() and x2.dtype == torch.float32 and torch.equal(x2, x.float())


def test_center_crop_on_raw_images_equals_ffcv(raw_beton):
    d, t = ffcv_ops()
    theirs, ffcv_loader = ffcv_batches(raw_beton, [d.CenterCropRGBImageDecoder((64, 64), 224 / 256)],
                                       [d.IntDecoder()])
    ours, _ = our_batches(raw_beton, [CenterCropRGBImageDecoder((64, 64), 224 / 256)], [IntDecoder()])
    x = np.concatenate([b[0] for b in ours]).astype(int)
    fx = np.concatenate([b[0] for b in theirs]).astype(int)
    assert x.shape == fx.shape == (256, 64, 64, 3)
    assert np.array_equal(np.concatenate([b[1] for b in ours]), np.concatenate([b[1] for b in theirs]))
    meta = ffcv_loader.reader.metadata["f0"]
    side = (224 / 256 * np.minimum(meta["width"], meta["height"])).astype(int)
    shrunk, enlarged = side >= 64, side < 64
    assert shrunk.sum() > 20 and enlarged.sum() > 20
    # Shrinking is OpenCV's INTER_AREA on both sides: equal.
    assert np.abs(x[shrunk] - fx[shrunk]).max() <= 1
    # Enlarging is bilinear in fastimg (torchvision's choice), INTER_AREA (near-nearest) in FFCV.
    per_image = np.abs(x[enlarged] - fx[enlarged]).mean(axis=(1, 2, 3))
    assert per_image.mean() < 1.0 and per_image.max() < 5.0, (per_image.mean(), per_image.max())


def test_center_crop_on_jpeg_is_within_decoder_tolerance(jpeg_beton):
    d, t = ffcv_ops()
    theirs, _ = ffcv_batches(jpeg_beton, [d.CenterCropRGBImageDecoder((96, 96), 224 / 256)], [d.IntDecoder()])
    ours, _ = our_batches(jpeg_beton, [CenterCropRGBImageDecoder((96, 96), 224 / 256)], [IntDecoder()])
    x = np.concatenate([b[0] for b in ours]).astype(float)
    fx = np.concatenate([b[0] for b in theirs]).astype(float)
    # The C++ decoder's own tolerance against a full decode + crop + resize (codec tests): fastimg
    # decodes at a DCT-scaled size and FFCV decodes whole images, then both resize.
    per_image = np.abs(x - fx).mean(axis=(1, 2, 3))
    assert per_image.mean() < 2.0 and per_image.max() < 12.0, (per_image.mean(), per_image.max())


def test_normalize_equals_ffcv(uniform_beton):
    d, t = ffcv_ops()
    theirs, _ = ffcv_batches(uniform_beton, [d.SimpleRGBImageDecoder(), t.NormalizeImage(MEAN, STD, np.float16)],
                             [d.IntDecoder()])
    ours, _ = our_batches(uniform_beton, [SimpleRGBImageDecoder(), NormalizeImage(MEAN, STD, np.float16)],
                          [IntDecoder()])
    for (x, _), (fx, _) in zip(ours, theirs):
        fx = fx.view(np.float16) if fx.dtype == np.int16 else fx  # FFCV keeps float16 as int16 bits here
        assert x.dtype == np.float16 and x.shape == fx.shape
        # Ours computes in float32, FFCV's table in float64: at most one float16 step apart.
        assert np.abs(x.astype(np.float32) - fx.astype(np.float32)).max() <= 2 ** -8


def test_normalize_on_channels_last_tensors_keeps_the_layout(uniform_beton):
    import torchvision.transforms.functional as F
    loader = Loader(uniform_beton, 16, order=OrderOption.SEQUENTIAL,
                    pipelines={"image": [SimpleRGBImageDecoder(), ToTensor(), ToTorchImage(),
                                         NormalizeImage(MEAN, STD, np.float32)]})
    plain = Loader(uniform_beton, 16, order=OrderOption.SEQUENTIAL,
                   pipelines={"image": [SimpleRGBImageDecoder(), ToTensor(), ToTorchImage(), Convert(torch.float32)]})
    (x, _), (raw, _) = next(iter(loader)), next(iter(plain))
    assert x.is_contiguous(memory_format=torch.channels_last) and x.dtype == torch.float32
    reference = F.normalize(raw.contiguous(), list(MEAN), list(STD))
    assert torch.allclose(x, reference, atol=1e-5)


def test_random_resized_crop_statistics_match_ffcv():
    ffcv_or_skip()
    from ffcv.fields.rgb_image import get_random_crop
    n = 20000
    for (width, height), scale, ratio in (((400, 300), (0.08, 1.0), (3 / 4, 4 / 3)),
                                          ((500, 375), (0.10, 1.0), (0.8, 1.25)),
                                          ((600, 120), (0.35, 1.0), (3 / 4, 4 / 3))):  # often falls back
        ours = np.array(_fastimg.random_resized_crops(width, height, 11, n, scale, ratio), dtype=float)
        np.random.seed(11)
        theirs = np.array([get_random_crop(height, width, scale, ratio) for _ in range(n)], dtype=float)
        # ours: (x, y, w, h); FFCV's: (i = y, j = x, h, w)
        ours_area = ours[:, 2] * ours[:, 3] / (width * height)
        theirs_area = theirs[:, 3] * theirs[:, 2] / (width * height)
        assert abs(ours_area.mean() - theirs_area.mean()) < 0.01
        assert abs(ours_area.std() - theirs_area.std()) < 0.01
        ours_log_ratio, theirs_log_ratio = np.log(ours[:, 2] / ours[:, 3]), np.log(theirs[:, 3] / theirs[:, 2])
        assert abs(ours_log_ratio.mean() - theirs_log_ratio.mean()) < 0.01
        ours_cx = (ours[:, 0] + ours[:, 2] / 2) / width
        theirs_cx = (theirs[:, 1] + theirs[:, 3] / 2) / width
        assert abs(ours_cx.mean() - theirs_cx.mean()) < 0.01 and abs(ours_cx.std() - theirs_cx.std()) < 0.01


def test_random_resized_crop_loader_has_ffcv_shapes(jpeg_beton):
    d, t = ffcv_ops()
    image_ops = lambda m, tt: [m.RandomResizedCropRGBImageDecoder((48, 48)), tt.RandomHorizontalFlip(),
                               tt.ToTensor(), tt.ToTorchImage()]
    _, theirs = ffcv_batches(jpeg_beton, image_ops(d, t), [d.IntDecoder(), t.ToTensor(), t.Squeeze()],
                             order=__import__("ffcv.loader", fromlist=["OrderOption"]).OrderOption.RANDOM, seed=0)
    import fastimg.ffcv_compat as ours_module
    ours = Loader(jpeg_beton, 16, order=OrderOption.RANDOM, seed=0,
                  pipelines={"image": image_ops(ours_module, ours_module),
                             "label": [IntDecoder(), ToTensor(), Squeeze()]})
    (fx, fy), (x, y) = next(iter(theirs)), next(iter(ours))
    assert x.shape == fx.shape and x.dtype == fx.dtype and x.stride() == fx.stride()
    assert y.shape == fy.shape and y.dtype == fy.dtype
    assert len(ours) == len(theirs)


def test_flip_flips_about_flip_prob_of_the_images(jpeg_beton):
    def images(*ops):
        loader = Loader(jpeg_beton, 64, order=OrderOption.SEQUENTIAL, seed=4,
                        pipelines={"image": [CenterCropRGBImageDecoder((32, 32))] + list(ops)})
        return np.concatenate([b[0] for b in loader])
    plain, half, always = images(), images(RandomHorizontalFlip()), images(RandomHorizontalFlip(1.0))
    mirrored = plain[:, :, ::-1]
    flipped = np.array([np.array_equal(h, m) and not np.array_equal(h, p) for h, m, p in zip(half, mirrored, plain)])
    kept = np.array([np.array_equal(h, p) for h, p in zip(half, plain)])
    assert np.all(flipped | kept) and 0.38 < flipped.mean() < 0.62
    assert np.array_equal(always, mirrored)


def test_len_matches_ffcv(jpeg_beton):
    ffcv_or_skip()
    from ffcv.loader import Loader as FfcvLoader
    for batch_size, drop_last, indices in ((16, True, None), (100, True, None), (100, False, None),
                                           (7, False, list(range(0, 256, 5)))):
        kw = dict(batch_size=batch_size, drop_last=drop_last, indices=indices)
        theirs = FfcvLoader(str(jpeg_beton), num_workers=1, pipelines={"image": [_ffcv_center_crop()]}, **kw)
        ours = Loader(jpeg_beton, pipelines={"image": [CenterCropRGBImageDecoder((32, 32))]}, **kw)
        assert len(ours) == len(theirs), kw


def _ffcv_center_crop():
    from ffcv.fields.decoders import CenterCropRGBImageDecoder as FfcvCenterCrop
    return FfcvCenterCrop((32, 32), 224 / 256)


def test_batches_are_seeded_and_identical_for_any_worker_count(jpeg_beton):
    for order in (OrderOption.RANDOM, OrderOption.QUASI_RANDOM):
        runs = []
        for workers in (1, 2, 3):
            loader = Loader(jpeg_beton, 32, num_workers=workers, order=order, seed=9,
                            pipelines={"image": [RandomResizedCropRGBImageDecoder((40, 40)), RandomHorizontalFlip()]})
            runs.append([np.array(x) for x, y in loader])
        for other in runs[1:]:
            assert all(np.array_equal(a, b) for a, b in zip(runs[0], other))
        again = Loader(jpeg_beton, 32, num_workers=2, order=order, seed=10,
                       pipelines={"image": [RandomResizedCropRGBImageDecoder((40, 40)), RandomHorizontalFlip()]})
        assert not np.array_equal(np.array(next(iter(again))[0]), runs[0][0])


def test_distributed_takes_rank_and_world_size_from_torch_distributed(jpeg_beton, monkeypatch):
    shards = []
    for rank in range(2):
        monkeypatch.setattr(torch.distributed, "is_initialized", lambda: True)
        monkeypatch.setattr(torch.distributed, "get_rank", lambda: rank)
        monkeypatch.setattr(torch.distributed, "get_world_size", lambda: 2)
        loader = Loader(jpeg_beton, 16, distributed=True, order=OrderOption.RANDOM,
                        pipelines={"image": [CenterCropRGBImageDecoder((24, 24))]})
        assert loader.seed == 0  # FFCV's choice for distributed random orders without a seed
        assert len(loader) == 256 // 32
        shards.append({bytes(img) for x, _ in loader for img in np.array(x)})
    assert len(shards[0]) == len(shards[1]) == 128 and not (shards[0] & shards[1])
    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: False)
    with pytest.raises(RuntimeError, match="init_process_group"):
        Loader(jpeg_beton, 16, distributed=True)


class Cutout(Operation):
    """An FFCV operation fastimg does not implement."""


def test_unsupported_or_misplaced_operations_are_clear_errors(jpeg_beton, uniform_beton, tmp_path):
    def build(image_ops, **kw):
        return Loader(jpeg_beton, 16, pipelines={"image": image_ops}, **kw)
    with pytest.raises(ValueError, match="unsupported operation Cutout in the 'image' pipeline"):
        build([CenterCropRGBImageDecoder((32, 32)), Cutout()])
    try:
        from ffcv.transforms import Cutout as FfcvCutout
    except ImportError:
        FfcvCutout = None
    if FfcvCutout is not None:
        with pytest.raises(ValueError, match="unsupported operation Cutout"):
            build([CenterCropRGBImageDecoder((32, 32)), FfcvCutout(8)])
    with pytest.raises(ValueError, match="ToTorchImage needs a torch tensor: put ToTensor"):
        build([CenterCropRGBImageDecoder((32, 32)), ToTorchImage()])
    with pytest.raises(ValueError, match="RandomHorizontalFlip works on arrays"):
        build([CenterCropRGBImageDecoder((32, 32)), ToTensor(), RandomHorizontalFlip()])
    with pytest.raises(ValueError, match="not square"):
        build([RandomResizedCropRGBImageDecoder((32, 48))])
    with pytest.raises(ValueError, match="must start with an RGB image decoder, not ToTensor"):
        build([ToTensor()])
    with pytest.raises(ValueError, match="SimpleRGBImageDecoder needs images of one size"):
        build([SimpleRGBImageDecoder()])
    with pytest.raises(ValueError, match="field 'img'"):
        Loader(jpeg_beton, 16, pipelines={"img": [SimpleRGBImageDecoder()]})
    with pytest.raises(ValueError, match="custom_fields"):
        Loader(jpeg_beton, 16, custom_fields={"image": object})
    with pytest.raises(ValueError, match="order must be an OrderOption"):
        Loader(jpeg_beton, 16, order="random")
    with pytest.raises(ValueError, match="batch_size"):
        Loader(jpeg_beton, 0)
    with pytest.raises(FileNotFoundError, match="nothing.beton"):
        Loader(tmp_path / "nothing.beton", 16)
    assert len(Loader(uniform_beton, 16, pipelines={"image": [SimpleRGBImageDecoder()], "label": None})) == 3


def test_torch_modules_run_in_the_tensor_stage(uniform_beton):
    import torchvision.transforms as T
    loader = Loader(uniform_beton, 8, order=OrderOption.SEQUENTIAL,
                    pipelines={"image": [SimpleRGBImageDecoder(), ToTensor(), ToTorchImage(), Convert(torch.float32),
                                         T.Normalize(list(MEAN), list(STD))]})
    x, _ = next(iter(loader))
    assert x.dtype == torch.float32 and abs(x.mean().item()) < 3


def test_closing_mid_iteration_is_a_python_exception(jpeg_beton):
    loader = Loader(jpeg_beton, 16, pipelines={"image": [CenterCropRGBImageDecoder((32, 32))]})
    it = iter(loader)
    next(it)
    loader.close()
    with pytest.raises(fastimg.Error, match="closed"):
        next(it)
