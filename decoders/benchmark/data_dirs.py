"""Where the real data sets are found: the one lookup every loader, test and script uses.

Precedence:

1. ``$NOIR_DATA`` when that variable is set: the only folder looked in (and where
   ``noir data fetch`` puts data sets);
2. otherwise ``shared/data`` beside the checkout (the folder that holds the repository), then
3. the user data folder (``platformdirs.user_data_dir("noir-bci")``), where ``noir data fetch``
   puts data sets by default.

A data set ``NAME`` is the folder ``<one of these>/NAME``. This module imports nothing heavy, so
``noir data`` stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DATA_ENV_VAR = "NOIR_DATA"
APP_NAME = "noir-bci"


class DataNotFoundError(FileNotFoundError):
    """A data set folder is absent; the message says where it was looked for and how to fix it."""


def shared_data_dir() -> Path:
    """``shared/data`` beside the checkout (the folder that holds ``decoders/``'s repository)."""
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def user_data_dir() -> Path:
    """The user data folder where ``noir data fetch`` puts data sets when ``NOIR_DATA`` is unset."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def search_dirs() -> list[Path]:
    """Folders that may hold data sets, in the order they are looked in (see the module doc)."""
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        return [Path(env)]
    return [shared_data_dir(), user_data_dir()]


def fetch_dir() -> Path:
    """Where ``noir data fetch`` puts data sets: ``$NOIR_DATA``, else the user data folder."""
    env = os.environ.get(DATA_ENV_VAR)
    return Path(env) if env else user_data_dir()


def find_dataset(name: str) -> Path | None:
    """The folder of data set ``name`` (e.g. ``"ssvep-exo"``), or None where no folder has it."""
    for root in search_dirs():
        folder = root / name
        if folder.is_dir():
            return folder
    return None


def dataset_folder(name: str) -> Path:
    """The folder of data set ``name``.

    Raises
    ------
    DataNotFoundError
        Naming the folders looked in, the fetch command and the ``NOIR_DATA`` variable.
    """
    folder = find_dataset(name)
    if folder is None:
        places = ", ".join(repr(str(root / name)) for root in search_dirs())
        raise DataNotFoundError(
            f"Data set {name!r} not found (looked in {places}). Get it with "
            f"'noir data fetch {name}', or set the environment variable {DATA_ENV_VAR} to the "
            f"folder that holds {name!r}."
        )
    return folder
