"""The data loading of FFCV's ImageNet example (ffcv-imagenet's train_imagenet.py) with one change:
`ffcv` -> `fastimg.ffcv_compat` in its imports. The two functions below follow that script's
create_train_loader / create_val_loader, written from FFCV's documented API (arguments, pipelines,
orders), then one CPU training step runs on what they load."""
import numpy as np
import torch
import torchvision

from fastimg.ffcv_compat.fields.basics import IntDecoder
from fastimg.ffcv_compat.fields.rgb_image import CenterCropRGBImageDecoder, RandomResizedCropRGBImageDecoder
from fastimg.ffcv_compat.loader import Loader, OrderOption
from fastimg.ffcv_compat.pipeline.operation import Operation
from fastimg.ffcv_compat.transforms import (NormalizeImage, RandomHorizontalFlip, Squeeze, ToDevice, ToTensor,
                                            ToTorchImage)

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406]) * 255
IMAGENET_STD = np.array([0.229, 0.224, 0.225]) * 255
DEFAULT_CROP_RATIO = 224 / 256


def create_train_loader(train_dataset, num_workers, batch_size, distributed, in_memory, res, device):
    decoder = RandomResizedCropRGBImageDecoder((res, res))
    image_pipeline: list[Operation] = [
        decoder,
        RandomHorizontalFlip(),
        ToTensor(),
        ToDevice(device, non_blocking=True),
        ToTorchImage(),
        NormalizeImage(IMAGENET_MEAN, IMAGENET_STD, np.float16),
    ]
    label_pipeline: list[Operation] = [IntDecoder(), ToTensor(), Squeeze(), ToDevice(device, non_blocking=True)]
    order = OrderOption.RANDOM if distributed else OrderOption.QUASI_RANDOM
    return Loader(train_dataset, batch_size=batch_size, num_workers=num_workers, order=order, os_cache=in_memory,
                  drop_last=True, pipelines={"image": image_pipeline, "label": label_pipeline},
                  distributed=distributed)


def create_val_loader(val_dataset, num_workers, batch_size, resolution, distributed, device):
    cropper = CenterCropRGBImageDecoder((resolution, resolution), ratio=DEFAULT_CROP_RATIO)
    image_pipeline = [cropper, ToTensor(), ToDevice(device, non_blocking=True), ToTorchImage(),
                      NormalizeImage(IMAGENET_MEAN, IMAGENET_STD, np.float16)]
    label_pipeline = [IntDecoder(), ToTensor(), Squeeze(), ToDevice(device, non_blocking=True)]
    return Loader(val_dataset, batch_size=batch_size, num_workers=num_workers, order=OrderOption.SEQUENTIAL,
                  drop_last=False, pipelines={"image": image_pipeline, "label": label_pipeline},
                  distributed=distributed)


def test_ffcv_imagenet_loaders_feed_a_training_step(jpeg_beton):
    device = torch.device("cpu")
    train = create_train_loader(jpeg_beton, num_workers=2, batch_size=16, distributed=False, in_memory=True,
                                res=64, device=device)
    val = create_val_loader(jpeg_beton, num_workers=2, batch_size=50, resolution=64, distributed=False,
                            device=device)
    assert len(train) == 16 and len(val) == 6
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=4).to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-5)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    before = [p.detach().clone() for p in model.parameters()]
    model.train()
    for images, target in train:
        assert images.shape == (16, 3, 64, 64) and images.dtype == torch.float16
        assert images.is_contiguous(memory_format=torch.channels_last)
        assert target.shape == (16,) and target.dtype == torch.int64
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(images.float()), target)  # the script autocasts on the GPU; fp32 on the CPU
        loss.backward()
        optimizer.step()
        break
    assert torch.isfinite(loss) and 0.5 < loss.item() < 5
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    model.eval()
    seen = 0
    with torch.no_grad():
        for images, target in val:
            assert images.dtype == torch.float16 and images.shape[1:] == (3, 64, 64)
            seen += model(images.float()).argmax(1).eq(target).numel()
    assert seen == 256
