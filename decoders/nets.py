"""EEGNet and ShallowConvNet motor-imagery classifiers in plain PyTorch.

braindecode, the field's library of these networks, cannot be installed beside the project's
pinned PyTorch build, so the two architectures are written here from their papers:

* EEGNet-8,2 -- Lawhern et al. 2018, "EEGNet: a compact convolutional neural network for
  EEG-based brain-computer interfaces", J. Neural Eng. 15:056013 (temporal convolution of
  about ``sfreq / 2`` samples, depthwise spatial convolution with max-norm 1, separable convolution,
  average pooling by 4 then 8, dense layer with max-norm 0.25);
* ShallowConvNet -- Schirrmeister et al. 2017, "Deep learning with convolutional neural networks
  for EEG decoding and visualization", Hum. Brain Mapp. 38:5391 (40 temporal filters, 40 spatial
  filters, squaring, mean pooling, log, dense layer). Its kernel, pooling and stride lengths
  (25, 75 and 15 samples at 250 Hz) are scaled to ``sfreq``.

:class:`EEGNetClassifier` and :class:`ShallowConvNetClassifier` wrap them as scikit-learn
classifiers on (n_trials, n_channels, n_times) windows: causal band-pass
(:class:`~decoders.preprocessing.BandpassFilter`), scaling by the training data's standard
deviation, Adam on the cross-entropy with early stopping on a stratified validation split.
Training is deterministic for a given ``random_state`` (seeded initialisation, shuffling and
dropout; deterministic algorithms). ``save``/``load`` write one ``.npz`` file holding the
network weights and a JSON header (parameters, classes, shapes); nothing is pickled.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import mne
import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from torch import nn

from decoders._validation import (
    check_epochs_array,
    check_finite_output,
    check_not_identical,
    check_positive,
)
from decoders.archive import check_archive
from decoders.motor_imagery import check_mi_training_set
from decoders.preprocessing import BandpassFilter


class _MaxNorm:
    """Mixin for a layer with a ``weight`` whose slices along dim 0 keep an L2 norm <= ``max_norm``.

    The training loop calls ``constrain()`` after each optimiser step.
    """

    weight: torch.Tensor
    max_norm: float

    def constrain(self) -> None:
        with torch.no_grad():
            self.weight.copy_(torch.renorm(self.weight, 2, 0, self.max_norm))


class _MaxNormLinear(_MaxNorm, nn.Linear):
    """Linear layer whose weight rows are renormalised to an L2 norm <= ``max_norm``."""

    def __init__(self, in_features: int, out_features: int, max_norm: float) -> None:
        super().__init__(in_features, out_features)
        self.max_norm = max_norm


class _MaxNormConv2d(_MaxNorm, nn.Conv2d):
    """Conv2d whose filters are renormalised to an L2 norm <= ``max_norm``."""

    def __init__(self, *args, max_norm: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_norm = max_norm


class EEGNet(nn.Module):
    """EEGNet-F1,D (Lawhern et al. 2018); input (batch, n_channels, n_times), output logits.

    Parameters
    ----------
    n_channels, n_times, n_classes : int
        Input channels, input samples and output classes.
    sfreq : float
        Sampling rate in Hz; the temporal kernel is about ``sfreq / 2`` samples (65 at 128 Hz;
        the paper's 64 and 16-sample kernels are made odd, 65 and 17, for symmetric padding).
    f1, depth : int
        Temporal filters and spatial filters per temporal filter (EEGNet-8,2: 8 and 2).
    dropout : float
        Dropout probability (paper: 0.5 within-subject, 0.25 cross-subject).
    """

    def __init__(
        self, n_channels: int, n_times: int, n_classes: int, sfreq: float,
        f1: int = 8, depth: int = 2, dropout: float = 0.5,
    ) -> None:
        super().__init__()
        f2 = f1 * depth
        kernel = 2 * int(sfreq / 4) + 1  # odd, so that "same" padding is symmetric
        self.features = nn.Sequential(
            nn.Conv2d(1, f1, (1, kernel), padding="same", bias=False),
            nn.BatchNorm2d(f1),
            _MaxNormConv2d(f1, f2, (n_channels, 1), groups=f1, bias=False, max_norm=1.0),
            nn.BatchNorm2d(f2),
            nn.ELU(),
            nn.AvgPool2d((1, 4)),
            nn.Dropout(dropout),
            nn.Conv2d(f2, f2, (1, 17), padding="same", groups=f2, bias=False),
            nn.Conv2d(f2, f2, 1, bias=False),
            nn.BatchNorm2d(f2),
            nn.ELU(),
            nn.AvgPool2d((1, 8)),
            nn.Dropout(dropout),
            nn.Flatten(),
        )
        self.classifier = _MaxNormLinear(f2 * (n_times // 4 // 8), n_classes, max_norm=0.25)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x[:, None]))


class ShallowConvNet(nn.Module):
    """ShallowConvNet (Schirrmeister et al. 2017); input (batch, n_channels, n_times), logits.

    Parameters
    ----------
    n_channels, n_times, n_classes : int
        Input channels, input samples and output classes.
    sfreq : float
        Sampling rate in Hz; kernel 0.1 s, pooling 0.3 s, stride 0.06 s (25, 75, 15 at 250 Hz).
    n_filters : int
        Temporal and spatial filters (paper: 40).
    dropout : float
        Dropout probability before the dense layer (paper: 0.5).
    """

    def __init__(
        self, n_channels: int, n_times: int, n_classes: int, sfreq: float,
        n_filters: int = 40, dropout: float = 0.5,
    ) -> None:
        super().__init__()
        kernel = max(1, int(round(0.1 * sfreq)))
        pool = max(1, int(round(0.3 * sfreq)))
        stride = max(1, int(round(0.06 * sfreq)))
        self.temporal = nn.Conv2d(1, n_filters, (1, kernel))
        self.spatial = nn.Conv2d(n_filters, n_filters, (n_channels, 1), bias=False)
        self.bn = nn.BatchNorm2d(n_filters)
        self.pool = nn.AvgPool2d((1, pool), stride=(1, stride))
        self.dropout = nn.Dropout(dropout)
        n_out = (n_times - kernel + 1 - pool) // stride + 1
        self.classifier = nn.Linear(n_filters * n_out, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(self.spatial(self.temporal(x[:, None])))
        x = torch.log(torch.clamp(self.pool(x * x), min=1e-6))
        return self.classifier(torch.flatten(self.dropout(x), 1))


class _TorchClassifier(ClassifierMixin, BaseEstimator):
    """scikit-learn wrapper shared by the two networks: filtering, training, persistence.

    Subclasses store their parameters in ``__init__`` and implement ``_make_module``.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
        Sorted class labels.
    n_channels_, n_times_ : int
        Window shape seen in ``fit`` (the network's input size).
    scale_ : float
        Standard deviation of the band-passed training windows (signal units); inputs are
        divided by it.
    module_ : torch.nn.Module
        The trained network (on ``device_``), in evaluation mode.
    device_ : str
        Device the network runs on.
    n_epochs_ : int
        Epochs trained.
    best_epoch_ : int
        Epoch (1-based) whose weights were kept (lowest validation loss).
    """

    sfreq: float
    band: tuple[float, float]
    max_epochs: int
    batch_size: int
    lr: float
    patience: int
    validation_fraction: float
    random_state: int | None
    device: str

    def _make_module(self, n_channels: int, n_times: int, n_classes: int) -> nn.Module:
        raise NotImplementedError

    # ---------------------------------------------------------------- fitting

    def fit(self, X: np.ndarray | mne.BaseEpochs, y: np.ndarray) -> _TorchClassifier:
        """Train the network on calibration windows.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            Calibration EEG windows.
        y : array, shape (n_trials,)
            Class of each window (at least two classes; with early stopping, enough trials per
            class for a stratified validation split).

        Returns
        -------
        self
        """
        check_classification_targets(y)
        X = check_epochs_array(X, sfreq=self.sfreq)
        classes = check_mi_training_set(X, y)
        check_not_identical(X)
        y_index = np.searchsorted(classes, np.asarray(y))
        self._check_params()
        device = self._resolve_device()
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        filtered = self._filter(X)
        scale = float(filtered.std())
        if scale == 0:
            raise ValueError("X is constant after band-pass filtering; cannot train on it.")
        inputs = (filtered / scale).astype(np.float32)
        deterministic = torch.are_deterministic_algorithms_enabled()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            torch.use_deterministic_algorithms(True, warn_only=True)
            try:
                module = self._make_module(X.shape[1], X.shape[2], classes.size)
                epochs = self._train(module, inputs, y_index, seed, device)
                self.n_epochs_, self.best_epoch_ = epochs
            finally:
                torch.use_deterministic_algorithms(deterministic)
        if not all(torch.isfinite(p).all() for p in module.state_dict().values()):
            raise ValueError(
                f"Training diverged: the network's weights are not finite after {epochs[0]} "
                f"epochs (lr={self.lr!r}); lower lr."
            )
        self.module_ = module.eval()
        self.classes_ = classes
        self.n_channels_, self.n_times_ = X.shape[1], X.shape[2]
        self.scale_ = scale
        self.device_ = device
        return self

    def _train(
        self, module: nn.Module, inputs: np.ndarray, y: np.ndarray, seed: int, device: str
    ) -> tuple[int, int]:
        """Adam on cross-entropy; keep the weights of the best validation epoch."""
        if self.validation_fraction > 0:
            train, val = train_test_split(
                np.arange(y.size), test_size=self.validation_fraction, stratify=y,
                random_state=seed,
            )
        else:
            train, val = np.arange(y.size), np.array([], dtype=int)
        module.to(device)
        X_train = torch.from_numpy(inputs[train]).to(device)
        y_train = torch.from_numpy(y[train]).to(device)
        X_val = torch.from_numpy(inputs[val]).to(device)
        y_val = torch.from_numpy(y[val]).to(device)
        optimizer = torch.optim.Adam(module.parameters(), lr=self.lr)
        loss_fn = nn.CrossEntropyLoss()
        generator = torch.Generator().manual_seed(seed)
        constrained = [m for m in module.modules() if hasattr(m, "constrain")]
        best_loss, best_epoch, best_state = np.inf, 0, None
        for epoch in range(1, self.max_epochs + 1):
            module.train()
            order = torch.randperm(train.size, generator=generator).to(device)
            for start in range(0, train.size, self.batch_size):
                batch = order[start : start + self.batch_size]
                if batch.numel() < 2:  # BatchNorm needs 2 samples in training mode
                    continue
                optimizer.zero_grad()
                loss_fn(module(X_train[batch]), y_train[batch]).backward()
                optimizer.step()
                for layer in constrained:
                    layer.constrain()
            if val.size == 0:
                continue
            module.eval()
            with torch.no_grad():
                val_loss = float(loss_fn(module(X_val), y_val))
            if val_loss < best_loss:
                best_loss, best_epoch = val_loss, epoch
                best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
            elif epoch - best_epoch >= self.patience:
                break
        if best_state is None:
            return self.max_epochs, self.max_epochs
        module.load_state_dict(best_state)
        return epoch, best_epoch

    def _check_params(self) -> None:
        for name in ("max_epochs", "batch_size", "patience"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}.")
        check_positive(self.lr, "lr")
        if not 0 <= self.validation_fraction < 1:
            raise ValueError(
                f"validation_fraction must be in [0, 1), got {self.validation_fraction!r}."
            )

    def _resolve_device(self) -> str:
        if self.device not in ("cpu", "cuda", "auto"):
            raise ValueError(f"device must be 'cpu', 'cuda' or 'auto', got {self.device!r}.")
        if self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("device='cuda' was asked but PyTorch sees no CUDA device.")
        return self.device

    def _filter(self, X: np.ndarray) -> np.ndarray:
        return BandpassFilter(self.sfreq, *self.band).fit_transform(X)

    # ---------------------------------------------------------------- prediction

    def predict_proba(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Softmax probability of each class.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows with the fitted number of channels and samples.

        Returns
        -------
        proba : ndarray, shape (n_trials, n_classes)
            Columns in the order of ``classes_``.
        """
        return torch.softmax(torch.from_numpy(self._logits(X)), dim=1).numpy().astype(float)

    def decision_function(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Network logits.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows with the fitted number of channels and samples.

        Returns
        -------
        scores : ndarray, shape (n_trials,) for 2 classes, else (n_trials, n_classes)
            For 2 classes, the logit difference (positive favours ``classes_[1]``).
        """
        logits = self._logits(X).astype(float)
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Most probable class.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows with the fitted number of channels and samples.

        Returns
        -------
        y_pred : ndarray, shape (n_trials,)
            Labels from ``classes_``.
        """
        logits = self._logits(X)
        return self.classes_[logits.argmax(axis=1)]

    def _logits(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        check_is_fitted(self, "module_")
        X = check_epochs_array(
            X, sfreq=self.sfreq, n_channels=self.n_channels_, n_times=self.n_times_,
            why="the network's input size",
        )
        inputs = torch.from_numpy((self._filter(X) / self.scale_).astype(np.float32))
        with torch.no_grad():  # one window at a time: outputs do not depend on the batching
            logits = [self.module_(window[None].to(self.device_)).cpu() for window in inputs]
        return check_finite_output(torch.cat(logits).numpy(), "network output (logits)")

    # ---------------------------------------------------------------- persistence

    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted classifier to one ``.npz`` file (no pickle).

        Parameters
        ----------
        path : path-like
            Destination; ``.npz`` is appended if missing.

        Returns
        -------
        path : Path
            The file written.
        """
        check_is_fitted(self, "module_")
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        header = {
            "class": type(self).__name__,
            "params": self.get_params(),
            "classes": self.classes_.tolist(),
            "n_channels": self.n_channels_,
            "n_times": self.n_times_,
            "scale": self.scale_,
            "n_epochs": self.n_epochs_,
            "best_epoch": self.best_epoch_,
        }
        state = {
            f"state/{k}": v.detach().cpu().numpy() for k, v in self.module_.state_dict().items()
        }
        np.savez(path, header=np.array(json.dumps(header)), **state)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "cpu") -> _TorchClassifier:
        """Read a classifier written by :meth:`save`.

        Parameters
        ----------
        path : path-like
            The ``.npz`` file.
        device : str
            ``"cpu"``, ``"cuda"`` or ``"auto"``: where the loaded network runs.

        Returns
        -------
        clf : EEGNetClassifier | ShallowConvNetClassifier
            Fitted classifier that predicts as the saved one did.
        """
        check_archive(path)
        with np.load(path, allow_pickle=False) as archive:
            header = json.loads(str(archive["header"]))
            state = {
                k.removeprefix("state/"): torch.from_numpy(archive[k]) for k in archive.files
                if k.startswith("state/")
            }
        if header["class"] != cls.__name__:
            raise ValueError(f"{path} holds a {header['class']}, not a {cls.__name__}.")
        params = header["params"]
        params["band"] = tuple(params["band"])
        clf = cls(**{**params, "device": device})
        clf.classes_ = np.asarray(header["classes"])
        clf.n_channels_, clf.n_times_ = header["n_channels"], header["n_times"]
        clf.scale_ = header["scale"]
        clf.n_epochs_, clf.best_epoch_ = header["n_epochs"], header["best_epoch"]
        clf.device_ = clf._resolve_device()
        module = clf._make_module(clf.n_channels_, clf.n_times_, clf.classes_.size)
        module.load_state_dict(state)
        clf.module_ = module.to(clf.device_).eval()
        return clf


# Parameter and attribute descriptions shared by the two classifiers' docstrings.
_INPUT_PARAMS_DOC = """sfreq : float
        Sampling rate in Hz.
    band : tuple of float
        Causal band-pass (low, high) in Hz applied to each window."""
_TRAINING_PARAMS_DOC = """dropout : float
        Dropout probability.
    max_epochs : int
        Most training epochs.
    batch_size : int
        Mini-batch size.
    lr : float
        Adam learning rate.
    patience : int
        Early stopping: training stops after ``patience`` epochs without a lower validation
        loss, and the weights of the best epoch are kept.
    validation_fraction : float
        Fraction of the training trials held out (stratified) for early stopping, in [0, 1);
        0 trains ``max_epochs`` epochs on all trials.
    random_state : int | None
        Seed of initialisation, validation split, shuffling and dropout; None draws one from
        NumPy's global generator.
    device : str
        ``"cpu"`` (default), ``"cuda"`` (error if unavailable) or ``"auto"`` (CUDA if available)."""
_ATTRIBUTES_DOC = """Attributes
    ----------
    classes_, n_channels_, n_times_, scale_, module_, device_, n_epochs_, best_epoch_
        See ``_TorchClassifier``."""


class EEGNetClassifier(_TorchClassifier):
    __doc__ = f"""EEGNet-8,2 (Lawhern et al. 2018) as a scikit-learn classifier.

    Parameters
    ----------
    {_INPUT_PARAMS_DOC}
    f1, depth : int
        Temporal filters and depth multiplier (EEGNet-8,2: 8 and 2).
    {_TRAINING_PARAMS_DOC}

    {_ATTRIBUTES_DOC}
    """

    def __init__(
        self,
        sfreq: float,
        band: tuple[float, float] = (4.0, 40.0),
        f1: int = 8,
        depth: int = 2,
        dropout: float = 0.5,
        max_epochs: int = 300,
        batch_size: int = 32,
        lr: float = 1e-3,
        patience: int = 30,
        validation_fraction: float = 0.2,
        random_state: int | None = 0,
        device: str = "cpu",
    ) -> None:
        self.sfreq = sfreq
        self.band = band
        self.f1 = f1
        self.depth = depth
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.device = device

    def _make_module(self, n_channels: int, n_times: int, n_classes: int) -> nn.Module:
        if n_times < 32:
            raise ValueError(f"EEGNet needs windows of at least 32 samples, got {n_times}.")
        return EEGNet(n_channels, n_times, n_classes, self.sfreq, self.f1, self.depth, self.dropout)


class ShallowConvNetClassifier(_TorchClassifier):
    __doc__ = f"""ShallowConvNet (Schirrmeister et al. 2017) as a scikit-learn classifier.

    Parameters
    ----------
    {_INPUT_PARAMS_DOC}
    n_filters : int
        Temporal and spatial filters (paper: 40).
    {_TRAINING_PARAMS_DOC}

    {_ATTRIBUTES_DOC}
    """

    def __init__(
        self,
        sfreq: float,
        band: tuple[float, float] = (4.0, 40.0),
        n_filters: int = 40,
        dropout: float = 0.5,
        max_epochs: int = 300,
        batch_size: int = 32,
        lr: float = 1e-3,
        patience: int = 30,
        validation_fraction: float = 0.2,
        random_state: int | None = 0,
        device: str = "cpu",
    ) -> None:
        self.sfreq = sfreq
        self.band = band
        self.n_filters = n_filters
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.device = device

    def _make_module(self, n_channels: int, n_times: int, n_classes: int) -> nn.Module:
        needed = int(round(0.1 * self.sfreq)) + int(round(0.3 * self.sfreq)) - 1
        if n_times < needed:
            raise ValueError(
                f"ShallowConvNet needs windows of at least {needed} samples (0.4 s) at "
                f"{self.sfreq:g} Hz, got {n_times}."
            )
        return ShallowConvNet(
            n_channels, n_times, n_classes, self.sfreq, self.n_filters, self.dropout
        )
