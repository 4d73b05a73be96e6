"""fastimg.Loader from Python: tensors, determinism, subsets, sharding, and its failure modes."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import fastimg


def epoch_batches(loader, epoch=None):
    it = iter(loader) if epoch is None else loader.epoch(epoch)
    return [(x.clone(), y.clone()) for x, y in it]


def test_batches_are_nhwc_uint8_and_int64_without_a_copy(jpeg_beton):
    loader = fastimg.Loader(jpeg_beton, batch_size=32, resolution=64, threads=2)
    assert len(loader) == 8
    first = next(iter(loader))
    images, labels = first
    assert images.shape == (32, 64, 64, 3) and images.dtype == torch.uint8 and images.is_contiguous()
    assert labels.shape == (32,) and labels.dtype == torch.int64
    again, _ = next(loader.epoch(0))
    # Both views start in the same loader buffer (slot 0): the batch crossed without a copy.
    assert again.data_ptr() == images.data_ptr()


def test_same_seed_same_batches_for_any_thread_count(jpeg_beton):
    for order in ("random", "quasi_random"):
        runs = [epoch_batches(fastimg.Loader(jpeg_beton, 32, resolution=48, threads=t, seed=5, order=order))
                for t in (1, 2, 3)]
        for batches in runs[1:]:
            assert len(batches) == len(runs[0])
            for (a, la), (b, lb) in zip(runs[0], batches):
                assert torch.equal(a, b) and torch.equal(la, lb)


def test_iterating_advances_the_epoch_and_set_epoch_rewinds(jpeg_beton):
    loader = fastimg.Loader(jpeg_beton, 64, resolution=32, threads=2, seed=1)
    e0, e1 = epoch_batches(loader), epoch_batches(loader)
    assert not torch.equal(e0[0][0], e1[0][0])
    loader.set_epoch(0)
    assert all(torch.equal(a, b) for (a, _), (b, _) in zip(e0, epoch_batches(loader)))


def test_indices_select_a_subset(jpeg_beton):
    loader = fastimg.Loader(jpeg_beton, 10, resolution=32, order="sequential", drop_last=False,
                            transforms=[fastimg.CenterCrop()], indices=np.arange(3, 33))
    whole = fastimg.Loader(jpeg_beton, 10, resolution=32, order="sequential", transforms=[fastimg.CenterCrop()])
    sub = torch.cat([x for x, _ in epoch_batches(loader)])
    full = torch.cat([x for x, _ in epoch_batches(whole)])
    assert len(loader) == 3 and torch.equal(sub, full[3:33])
    with pytest.raises(fastimg.Error, match=r"indices\[0\] = 999 is not a sample"):
        fastimg.Loader(jpeg_beton, 10, indices=[999])
    with pytest.raises(ValueError, match="indices"):
        fastimg.Loader(jpeg_beton, 10, indices=[])


def test_ranks_get_disjoint_shards_that_cover_the_epoch(jpeg_beton):
    world = 3
    seen = []
    for rank in range(world):
        loader = fastimg.Loader(jpeg_beton, 16, resolution=32, transforms=[fastimg.CenterCrop()], seed=2,
                                rank=rank, world_size=world, order="random")
        assert len(loader) == 256 // (16 * world)
        seen.append(torch.cat([x.reshape(x.shape[0], -1) for x, _ in epoch_batches(loader)]))
    single = fastimg.Loader(jpeg_beton, 1, resolution=32, transforms=[fastimg.CenterCrop()], order="sequential")
    everything = {bytes(x.numpy()) for x, _ in epoch_batches(single)}
    shards = [{bytes(row.numpy()) for row in s} for s in seen]
    assert all(len(s) == 5 * 16 for s in shards)
    assert not (shards[0] & shards[1]) and not (shards[1] & shards[2]) and not (shards[0] & shards[2])
    assert set().union(*shards) <= everything


def test_bad_arguments_are_errors_naming_them(jpeg_beton, tmp_path):
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        fastimg.Loader(jpeg_beton, 0)
    with pytest.raises(ValueError, match="order must be one of"):
        fastimg.Loader(jpeg_beton, 8, order="shuffled")
    with pytest.raises(ValueError, match="rank 2 is not below world_size 2"):
        fastimg.Loader(jpeg_beton, 8, rank=2, world_size=2)
    with pytest.raises(fastimg.Error, match="missing.beton"):
        fastimg.Loader(tmp_path / "missing.beton", 8)


def test_closing_mid_epoch_raises_and_handed_out_batches_stay_valid(jpeg_beton):
    loader = fastimg.Loader(jpeg_beton, 32, resolution=32, threads=2)
    it = iter(loader)
    images, _ = next(it)
    copy = images.clone()
    loader.close()
    with pytest.raises(fastimg.Error, match="the loader is closed"):
        next(it)
    with pytest.raises(fastimg.Error, match="the loader is closed"):
        iter(loader)
    assert torch.equal(images, copy)  # the buffer outlives the loader
    del loader


def test_deleting_the_file_mid_epoch_never_crashes(jpeg_beton, tmp_path):
    # The file is mapped: deleting it keeps its pages until the loader closes, so the epoch goes on.
    # Run in a child so that a crash would fail the test instead of pytest.
    copy = tmp_path / "doomed.beton"
    copy.write_bytes(jpeg_beton.read_bytes())
    code = textwrap.dedent(f"""
        import os, fastimg
        loader = fastimg.Loader({str(copy)!r}, 32, resolution=32, threads=2)
        it = iter(loader)
        next(it)
        os.remove({str(copy)!r})
        print(1 + sum(1 for _ in it), "batches")
        try:
            fastimg.Loader({str(copy)!r}, 32)
        except fastimg.Error as e:
            print("reopen:", e)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "8 batches" in out.stdout
    assert "reopen:" in out.stdout and "doomed.beton" in out.stdout
