"""Image encoders: a global embedding and a dense feature map of a camera image.

Any object with a ``name``, ``embed`` and ``dense`` (the ``Encoder`` protocol) works with the
memories of ``skills.learning``. ``load_encoder`` gives:

- ``load_encoder()`` or ``load_encoder("default")``: the bundled ``CNNEncoder``, a small fully
  convolutional network trained offline on rendered scenes of the Franka task suite
  (``experiments/train_encoder.py``); its weights ship in ``skills/learning/weights/`` as an
  ``.npz`` state dict and a ``.json`` architecture, read without pickle.
- ``load_encoder("pixels")``: another registered name (:data:`ENCODERS`), raw pixels.
- ``load_encoder("path/to/encoder.npz")``: a ``CNNEncoder`` trained by you with that script.
- ``load_encoder(MyEncoder)`` or ``load_encoder(my_encoder)``: your own encoder, e.g. one
  wrapping DINOv2 or R3M weights on disk, as a factory (a class or a function, called without
  arguments) or as the object itself: it has ``name: str``, ``embed(images) -> (n, d)``
  L2-normalised float32 rows and ``dense(images) -> (n, h, w, c)`` float32 maps covering the
  image, for ``images`` of shape (n, 240, 360, 3) uint8.

Text read from a file (a user model's ``assistant.json``) may only be a registered name or an
``.npz`` file name, so a file cannot make Python import anything. ``encoder_from_option`` also
imports ``"package.module:factory"``, for a command-line option a person types.
"""

from __future__ import annotations

import importlib
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from decoders.archive import check_archive

IMAGE_SHAPE = (240, 360, 3)
"""Shape of one camera image the encoders take: height, width, RGB."""
WEIGHTS = Path(__file__).parent / "weights" / "encoder.npz"
"""The bundled default encoder's weights (``encoder.json`` beside it holds the architecture)."""
BATCH = 32
"""Images per forward pass."""
MAX_CHANNELS = 1024
"""Most channels of any layer of a ``ConvNet`` read from a file (the bundled one has 96)."""


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
        """Read ``weights`` (.npz state dict) and the architecture in the ``.json`` beside it.

        Raises
        ------
        FileNotFoundError
            If either file is missing.
        ValueError
            If either file is damaged or does not describe a ``ConvNet`` (the message names
            the file).
        """
        weights = Path(weights)
        config_file = weights.with_suffix(".json")
        if not weights.is_file() or not config_file.is_file():
            raise FileNotFoundError(f"encoder weights need {weights} and {config_file}")
        try:
            config = json.loads(config_file.read_text(encoding="utf-8"))
        except (ValueError, RecursionError) as err:  # bad UTF-8 or JSON, ints too long for Python
            raise ValueError(f"{config_file} is not an encoder architecture (JSON): {err}") \
                from err
        net = ConvNet(**_check_architecture(config, config_file))
        try:
            check_archive(weights)
            with np.load(weights, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
            raise ValueError(f"{weights} is not an encoder state dict (.npz): {err}") from err
        expected = net.state_dict()
        if set(arrays) != set(expected) or any(
                arrays[k].shape != tuple(v.shape) or arrays[k].dtype != np.float32
                or not np.isfinite(arrays[k]).all() for k, v in expected.items()):
            raise ValueError(f"{weights} does not hold the finite float32 weights of the "
                             f"architecture in {config_file.name}")
        net.load_state_dict({k: torch.from_numpy(v) for k, v in arrays.items()})
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


def _check_architecture(config: Any, source: Path) -> dict:
    """``config`` if it holds exactly a ``ConvNet``'s keyword arguments, else ``ValueError``."""
    def size(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_CHANNELS

    if not isinstance(config, dict) or set(config) != {"widths", "dense_dim", "embed_dim"} \
            or not isinstance(config["widths"], list) or len(config["widths"]) != 2 \
            or not all(size(v) for v in [*config["widths"], config["dense_dim"],
                                         config["embed_dim"]]):
        raise ValueError(f"{source} must hold {{\"widths\": [a, b], \"dense_dim\": d, "
                         f"\"embed_dim\": e}} with integers from 1 to {MAX_CHANNELS}, got "
                         f"{config!r}")
    return config


ENCODERS: dict[str, Callable[[], Encoder]] = {
    "default": lambda: CNNEncoder.from_file(WEIGHTS),
    "pixels": PixelEncoder,
}
"""Encoders by registered name: the only names a file (a user model) may give."""

EncoderSpec = str | Path | Encoder | Callable[[], Encoder] | None
"""What ``load_encoder`` takes (see the module docstring)."""


def load_encoder(spec: EncoderSpec = None) -> Encoder:
    """Load an image encoder (see the module docstring); nothing is imported by name.

    Parameters
    ----------
    spec : None, str, path, Encoder or callable
        None or a key of :data:`ENCODERS`; the path of an ``.npz`` written by
        ``CNNEncoder.save``; an encoder; or a factory called without arguments that returns
        one.

    Raises
    ------
    ValueError
        If a string is neither a registered name nor an ``.npz`` path, or the weights are
        damaged.
    FileNotFoundError
        If the ``.npz`` or the ``.json`` beside it is missing.
    TypeError
        If a factory returns something that is not an encoder.
    """
    if spec is None:
        spec = "default"
    if isinstance(spec, Encoder) and not isinstance(spec, type):  # a class is a factory
        return spec
    if isinstance(spec, str) and spec in ENCODERS:
        return ENCODERS[spec]()
    if isinstance(spec, str | Path):
        if Path(spec).suffix == ".npz":
            return CNNEncoder.from_file(spec)
        raise ValueError(f"unknown encoder {str(spec)!r}: expected a registered name "
                         f"{sorted(ENCODERS)} or the path of an encoder .npz")
    if not callable(spec):
        raise TypeError(f"an encoder spec must be a name, a path, an encoder or a factory, "
                        f"got {type(spec).__name__}")
    encoder = spec()
    if not isinstance(encoder, Encoder):
        raise TypeError(f"encoder factory {spec!r} returned {type(encoder).__name__}, which "
                        f"lacks the Encoder attributes name, embed(images) and dense(images)")
    return encoder


def encoder_from_option(text: str | None) -> Encoder:
    """The encoder a person named on the command line: what ``load_encoder`` takes, or
    ``"package.module:factory"``, which is imported and called.

    Only for text a person types; never pass text read from a file here (a file could then
    make Python import and run any module).

    Raises
    ------
    ValueError
        If ``text`` is malformed or the factory cannot be imported.
    """
    if text is None or text in ENCODERS or Path(text).suffix == ".npz":
        return load_encoder(text)
    if not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", text):
        raise ValueError(f"unknown encoder {text!r}: expected a registered name "
                         f"{sorted(ENCODERS)}, the path of an encoder .npz, or "
                         "'module:factory'")
    module_name, factory_name = text.split(":")
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"encoder {text!r}: cannot import {factory_name!r} from module "
                         f"{module_name!r} ({err})") from err
    return load_encoder(factory)
