"""FFCV interop reference: write .beton files with the ffcv package, and read fastimg's with it.

Images are a formula both sides compute: sample i is SIZE x SIZE with R = 8x, G = 8y, B = 20i mod 256
(smooth, so JPEG stays within a small tolerance), label = i.

  ffcv_interop.py write PREFIX N       PREFIX-raw.beton and PREFIX-jpg.beton (ffcv DatasetWriter, 1 worker)
  ffcv_interop.py read FILE N          ffcv Loader over a fastimg-written file; checks every sample
"""
import sys

import numpy as np

SIZE = 32


def expected(i):
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    img = np.empty((SIZE, SIZE, 3), np.uint8)
    img[..., 0] = x * 8
    img[..., 1] = y * 8
    img[..., 2] = (20 * i) % 256
    return img


def write(out, n, mode):
    from ffcv.fields import IntField, RGBImageField
    from ffcv.writer import DatasetWriter

    class Source:
        def __len__(self):
            return n

        def __getitem__(self, i):
            return expected(i), i

    fields = {'image': RGBImageField(write_mode=mode, jpeg_quality=95), 'label': IntField()}
    DatasetWriter(out, fields, num_workers=1).from_indexed_dataset(Source())
    print(f"ffcv wrote {n} {mode} samples to {out}")


def read(path, n):
    from ffcv.fields.decoders import IntDecoder, SimpleRGBImageDecoder
    from ffcv.loader import Loader, OrderOption

    loader = Loader(path, batch_size=16, num_workers=1, order=OrderOption.SEQUENTIAL, drop_last=False,
                    pipelines={'image': [SimpleRGBImageDecoder()], 'label': [IntDecoder()]})
    seen = 0
    worst = 0.0
    for images, labels in loader:
        images = np.asarray(images)
        labels = np.asarray(labels).reshape(-1)
        for img, label in zip(images, labels):
            diff = np.abs(img.astype(int) - expected(int(label)).astype(int)).mean()
            worst = max(worst, diff)
            seen += 1
    raw_modes = loader.reader.metadata['f0']['mode']
    # Raw samples must match exactly: check them through ffcv's metadata and the mapped bytes.
    data = np.memmap(path, np.uint8, 'r')
    for sample in np.nonzero(raw_modes == 1)[0]:
        meta = loader.reader.metadata[sample]
        ptr, w, h = int(meta['f0']['data_ptr']), int(meta['f0']['width']), int(meta['f0']['height'])
        img = np.asarray(data[ptr:ptr + w * h * 3]).reshape(h, w, 3)
        if not np.array_equal(img, expected(int(meta['f1']))):
            sys.exit(f"raw sample {sample} differs")
    if seen != n:
        sys.exit(f"ffcv read {seen} samples, expected {n}")
    if worst > 3.0:
        sys.exit(f"a decoded sample differs by {worst:.2f} on average (> 3)")
    print(f"ffcv read {seen} samples ({int((raw_modes == 1).sum())} raw), worst mean abs diff {worst:.3f}")


if __name__ == '__main__':
    if sys.argv[1] == 'write':
        for mode in ('raw', 'jpg'):  # one interpreter start: importing ffcv (torch, numba) is slow
            write(f"{sys.argv[2]}-{mode}.beton", int(sys.argv[3]), mode)
    else:
        read(sys.argv[2], int(sys.argv[3]))
