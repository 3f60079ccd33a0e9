"""Save and load fitted decoders without executing code (skops, not pickle).

A decoder file can come from someone else, so loading must not run arbitrary code: skops
stores the estimator as data and reconstructs only types it is told to trust. We trust
scikit-learn (skops' default) and the estimator modules of this project, MNE's decoding
module and pyRiemann; any other type in a file is refused with its name.
"""

from __future__ import annotations

from pathlib import Path

import skops.io as sio
from sklearn.base import BaseEstimator

TRUSTED_MODULES = ("decoders.", "mne.decoding.", "pyriemann.")
"""Module prefixes whose types a decoder file may contain (besides scikit-learn's)."""


def save_decoder(decoder: BaseEstimator, path: str | Path) -> Path:
    """Write a fitted ``decoder`` to ``path`` (``.skops``)."""
    path = Path(path)
    sio.dump(decoder, path)
    return path


def load_decoder(path: str | Path) -> BaseEstimator:
    """Read a decoder written by :func:`save_decoder`.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a skops file, or holds a type outside ``TRUSTED_MODULES``
        (the message names the types).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"decoder file {path} not found")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as err:  # zipfile/json errors: whatever is there is not a decoder
        raise ValueError(f"{path} is not a decoder file written by noir ({err})") from err
    refused = [t for t in untrusted if not t.startswith(TRUSTED_MODULES)]
    if refused:
        raise ValueError(
            f"{path} holds types that are not trusted decoder parts: {refused}; "
            f"trusted are scikit-learn and modules starting with {list(TRUSTED_MODULES)}"
        )
    return sio.load(path, trusted=untrusted)
