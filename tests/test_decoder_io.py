"""Decoder files load without executing code and refuse types they should not hold."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator

from decoders.emg import MuscleTensionDetector
from decoders.io import load_decoder, save_decoder
from decoders.motor_imagery import CSPQDA


class Smuggler(BaseEstimator):
    """An estimator type from outside the trusted modules."""

    def fit(self, X, y=None):
        self.payload_ = np.ones(3)
        return self


def _mi_data(rng, n=40, n_channels=6, n_times=384):
    y = np.repeat(["left_hand", "right_hand"], n // 2)
    X = rng.standard_normal((n, n_channels, n_times))
    X[y == "left_hand", 0] *= 3.0
    X[y == "right_hand", 1] *= 3.0
    return X, y


def test_round_trip_gives_identical_decisions(tmp_path):
    rng = np.random.default_rng(0)
    X, y = _mi_data(rng)
    mi = CSPQDA(sfreq=128.0, n_components=2).fit(X, y)
    back = load_decoder(save_decoder(mi, tmp_path / "mi.skops"))
    assert type(back) is CSPQDA and back.get_params() == mi.get_params()
    np.testing.assert_array_equal(back.classes_, mi.classes_)
    np.testing.assert_allclose(back.predict_proba(X), mi.predict_proba(X))

    rest = rng.standard_normal((10, 4, 256))
    emg = MuscleTensionDetector(sfreq=256.0).fit(rest)
    back = load_decoder(save_decoder(emg, tmp_path / "emg.skops"))
    assert back.threshold_ == emg.threshold_


def test_untrusted_types_and_bad_files_are_refused(tmp_path):
    path = save_decoder(Smuggler().fit(None), tmp_path / "x.skops")
    with pytest.raises(ValueError, match=r"not trusted decoder parts: \[.*Smuggler'\]"):
        load_decoder(path)
    (tmp_path / "bad.skops").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="bad.skops is not a decoder file"):
        load_decoder(tmp_path / "bad.skops")
    with pytest.raises(FileNotFoundError, match="missing.skops not found"):
        load_decoder(tmp_path / "missing.skops")
