"""Image encoders: a global embedding and a dense feature map of a camera image.

Any object with a ``name``, ``embed`` and ``dense`` (the ``Encoder`` protocol) works with the
memories of ``skills.learning``. ``load_encoder`` gives:

- ``load_encoder()``: the bundled ``CNNEncoder``, a small fully convolutional network trained
  offline on rendered scenes of the Franka task suite (``experiments/train_encoder.py``); its
  weights ship in ``skills/learning/weights/`` as an ``.npz`` state dict and a ``.json``
  architecture, read without pickle.
- ``load_encoder("path/to/encoder.npz")``: a ``CNNEncoder`` trained by you with that script.
- ``load_encoder("package.module:factory")``: your own encoder, e.g. one wrapping DINOv2 or
  R3M weights on disk. ``factory()`` (a class or a function, called without arguments) returns
  an object with ``name: str``, ``embed(images) -> (n, d)`` L2-normalised float32 rows and
  ``dense(images) -> (n, h, w, c)`` float32 maps covering the image, for ``images`` of shape
  (n, 240, 360, 3) uint8. For instance ``skills.learning.encoder:PixelEncoder`` (raw pixels).
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

IMAGE_SHAPE = (240, 360, 3)
"""Shape of one camera image the encoders take: height, width, RGB."""
WEIGHTS = Path(__file__).parent / "weights" / "encoder.npz"
"""The bundled default encoder's weights (``encoder.json`` beside it holds the architecture)."""
BATCH = 32
"""Images per forward pass."""


@runtime_checkable
class Encoder(Protocol):
    """What the memories need from an image encoder."""

    name: str

    def embed(self, images: np.ndarray) -> np.ndarray:
        """Global embeddings, shape (n, d) float32, rows L2-normalised, of (n, 240, 360, 3)
        uint8 images."""
        ...

    def dense(self, images: np.ndarray) -> np.ndarray:
        """Feature maps, shape (n, h, w, c) float32, of (n, 240, 360, 3) uint8 images; cell
        (i, j) covers the image's ``i``-th of ``h`` rows and ``j``-th of ``w`` columns."""
        ...


def check_images(images: Any, what: str = "images") -> np.ndarray:
    """Return ``images`` if it is a (n, 240, 360, 3) uint8 array, else raise ``ValueError``."""
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        kind = images.dtype if isinstance(images, np.ndarray) else type(images).__name__
        raise ValueError(f"{what} must be a uint8 numpy array, got {kind}")
    if images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"{what} must have shape (n, {', '.join(map(str, IMAGE_SHAPE))}), "
                         f"got {images.shape}")
    return images


def downsample(images: np.ndarray) -> np.ndarray:
    """Average 2 x 2 pixel blocks: (n, 240, 360, 3) uint8 to (n, 120, 180, 3) uint8."""
    n, h, w, c = images.shape
    blocks = images.reshape(n, h // 2, 2, w // 2, 2, c).astype(np.float32)
    return np.round(blocks.mean(axis=(2, 4))).astype(np.uint8)


def to_tensor(small: np.ndarray) -> torch.Tensor:
    """(n, 120, 180, 3) uint8 images to a normalised (n, 3, 120, 180) float tensor."""
    x = torch.from_numpy(np.ascontiguousarray(small)).permute(0, 3, 1, 2).float()
    return (x / 255.0 - 0.5) / 0.25


class ConvNet(nn.Module):
    """A small fully convolutional network with a dense and a global head.

    Input (n, 3, 120, 180) (half-resolution images). Two stride-2 stages and dilated
    convolutions give ``coarse`` (n, b, 30, 45); ``dense`` (n, ``dense_dim``, 60, 90) fuses it
    with the 60 x 90 stage. The global head is a bag of local patterns: a per-cell MLP on the
    30 x 45 cells (coarse and pooled dense features) whose outputs are max- and mean-pooled
    over the image and L2-normalised: ``embed`` (n, 2 * ``embed_dim``).

    Parameters
    ----------
    widths : list of int
        Channels a of the 60 x 90 stages and b of the 30 x 45 stages.
    dense_dim, embed_dim : int
        Channels of the dense map and of the per-cell MLP's output.
    """

    def __init__(self, widths: list[int], dense_dim: int, embed_dim: int) -> None:
        super().__init__()
        a, b = widths
        self.config = {"widths": list(widths), "dense_dim": dense_dim, "embed_dim": embed_dim}
        self.stem = nn.Sequential(nn.Conv2d(3, a, 3, 2, 1), nn.ReLU(),
                                  nn.Conv2d(a, a, 3, 1, 1), nn.ReLU())
        self.body = nn.Sequential(nn.Conv2d(a, b, 3, 2, 1), nn.ReLU(),
                                  nn.Conv2d(b, b, 3, 1, 2, dilation=2), nn.ReLU(),
                                  nn.Conv2d(b, b, 3, 1, 4, dilation=4), nn.ReLU())
        self.fuse = nn.Conv2d(a + b, dense_dim, 1)
        self.cell_mlp = nn.Sequential(nn.Conv2d(b + dense_dim, embed_dim, 1), nn.ReLU(),
                                      nn.Conv2d(embed_dim, embed_dim, 1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Dense map (n, dense_dim, 60, 90) and embedding (n, 2 * embed_dim) of ``x``."""
        fine = self.stem(x)
        coarse = self.body(fine)
        up = F.interpolate(coarse, size=fine.shape[2:], mode="bilinear", align_corners=False)
        dense = self.fuse(torch.cat([fine, up], dim=1))
        cells = self.cell_mlp(torch.cat([coarse, F.avg_pool2d(dense, 2)], dim=1))
        pooled = torch.cat([cells.amax(dim=(2, 3)), cells.mean(dim=(2, 3))], dim=1)
        return dense, F.normalize(pooled, dim=1)


class CNNEncoder:
    """The ``ConvNet`` as an ``Encoder``; ``name`` is ``"cnn:"`` + the weights' file stem."""

    def __init__(self, net: ConvNet, name: str) -> None:
        self.net = net.eval()
        self.name = name

    @classmethod
    def from_file(cls, weights: str | Path) -> CNNEncoder:
        """Read ``weights`` (.npz state dict) and the architecture in the ``.json`` beside it."""
        weights = Path(weights)
        config_file = weights.with_suffix(".json")
        if not weights.is_file() or not config_file.is_file():
            raise FileNotFoundError(f"encoder weights need {weights} and {config_file}")
        net = ConvNet(**json.loads(config_file.read_text()))
        with np.load(weights, allow_pickle=False) as data:
            state = {k: torch.from_numpy(data[k]) for k in data.files}
        net.load_state_dict(state)
        return cls(net, f"cnn:{weights.stem}")

    def save(self, weights: str | Path) -> None:
        """Write the state dict to ``weights`` (.npz) and the architecture to ``.json``."""
        weights = Path(weights)
        weights.parent.mkdir(parents=True, exist_ok=True)
        np.savez(weights, **{k: v.numpy() for k, v in self.net.state_dict().items()})
        weights.with_suffix(".json").write_text(json.dumps(self.net.config))

    def _forward(self, images: np.ndarray, want: int) -> np.ndarray:
        small = downsample(check_images(images))
        out = []
        with torch.no_grad():
            for start in range(0, len(small), BATCH):
                result = self.net(to_tensor(small[start:start + BATCH]))[want]
                out.append(result.permute(0, 2, 3, 1) if want == 0 else result)
        return torch.cat(out).numpy().astype(np.float32)

    def embed(self, images: np.ndarray) -> np.ndarray:
        """Embeddings, shape (n, 2 * embed_dim), L2-normalised."""
        return self._forward(images, 1)

    def dense(self, images: np.ndarray) -> np.ndarray:
        """Feature maps, shape (n, 60, 90, dense_dim): one cell per 4 x 4 pixels."""
        return self._forward(images, 0)


class PixelEncoder:
    """Raw pixels as features (the baseline of NOIR's Table 4 "pixel similarity").

    ``dense`` is the RGB image itself in [0, 1], shape (n, 240, 360, 3); ``embed`` the
    L2-normalised 15 x 15-pixel block means, shape (n, 16 * 24 * 3).
    """

    name = "pixels"

    def embed(self, images: np.ndarray) -> np.ndarray:
        """Block means, shape (n, 1152), L2-normalised."""
        x = check_images(images).astype(np.float32) / 255.0
        n = len(x)
        blocks = x.reshape(n, 16, 15, 24, 15, 3).mean(axis=(2, 4)).reshape(n, -1)
        return blocks / np.linalg.norm(blocks, axis=1, keepdims=True).clip(1e-12)

    def dense(self, images: np.ndarray) -> np.ndarray:
        """The images as float32 in [0, 1], shape (n, 240, 360, 3)."""
        return check_images(images).astype(np.float32) / 255.0


def load_encoder(spec: str | Path | None = None) -> Encoder:
    """Load an image encoder (see the module docstring).

    Parameters
    ----------
    spec : None, path or str
        None for the bundled weights; the path of an ``.npz`` written by
        ``CNNEncoder.save``; or ``"module:factory"`` naming a callable that returns an encoder.
    """
    if spec is None:
        return CNNEncoder.from_file(WEIGHTS)
    text = str(spec)
    if Path(text).suffix == ".npz" or Path(text).exists():
        return CNNEncoder.from_file(text)
    if not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", text):
        raise ValueError(f"unknown encoder spec {text!r}: expected None (the bundled weights), "
                         f"the path of an encoder .npz, or 'module:factory'")
    module_name, factory_name = text.split(":")
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"encoder spec {text!r}: cannot import {factory_name!r} from module "
                         f"{module_name!r} ({err})") from err
    encoder = factory()
    if not isinstance(encoder, Encoder):
        raise TypeError(f"encoder spec {text!r} returned {type(encoder).__name__}, which lacks "
                        f"the Encoder attributes name, embed(images) and dense(images)")
    return encoder
