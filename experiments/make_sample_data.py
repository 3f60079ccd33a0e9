"""Build the real-EEG samples bundled in ``noir/sample_data`` from the ssvep-exo and eegmmidb sets.

- ``ssvep_exo_s04.fif``: ssvep-exo (Kalunga et al. 2016, CC0) subject04, both sessions,
  8 occipital channels at 256 Hz; annotations ``ssvep/13``, ``ssvep/17``, ``ssvep/21`` and
  ``rest`` (5 s each, from the event files; code 1 rest, 2 13 Hz, 3 21 Hz, 4 17 Hz).
- ``eegmmidb_s001.fif``: PhysioNet EEGMMIDB (Schalk et al. 2004, ODC-By 1.0) subject S001,
  imagery runs 4, 8, 12 (T1 left fist, T2 right fist) and 6, 10, 14 (T1 both fists,
  T2 both feet), 16 channels (sensorimotor + temporal/frontal) at 160 Hz; annotations
  ``mi/left_hand``, ``mi/right_hand``, ``mi/both_fists``, ``mi/legs`` and ``rest`` (T0).

    python experiments/make_sample_data.py [--data FOLDER]   # default: the data set lookup
"""

from __future__ import annotations

import argparse
from pathlib import Path

import mne

from decoders.benchmark.data_dirs import dataset_folder

OUT = Path(__file__).resolve().parents[1] / "noir" / "sample_data"
SSVEP_CODES = {1: "rest", 2: "ssvep/13", 3: "ssvep/21", 4: "ssvep/17"}
MI_CHANNELS = ["FC3", "FCz", "FC4", "C3", "Cz", "C4", "CP3", "CPz", "CP4", "P3", "Pz", "P4",
               "T7", "T8", "F7", "F8"]
MI_RUNS = {4: ("mi/left_hand", "mi/right_hand"), 8: ("mi/left_hand", "mi/right_hand"),
           12: ("mi/left_hand", "mi/right_hand"), 6: ("mi/both_fists", "mi/legs"),
           10: ("mi/both_fists", "mi/legs"), 14: ("mi/both_fists", "mi/legs")}


def ssvep_sample(folder: Path) -> mne.io.BaseRaw:
    raws = []
    for fif in sorted((folder / "subject04").glob("*_raw.fif")):
        raw = mne.io.read_raw_fif(fif, preload=True, verbose="error")
        events = mne.read_events(str(fif).replace("_raw.fif", "-eve.fif"))
        sfreq = raw.info["sfreq"]
        raw.set_annotations(mne.Annotations(
            events[:, 0] / sfreq, 5.0, [SSVEP_CODES[c] for c in events[:, 2]]))
        raws.append(raw)
    return mne.concatenate_raws(raws)


def mi_sample(folder: Path) -> mne.io.BaseRaw:
    raws = []
    for run, (t1, t2) in sorted(MI_RUNS.items()):
        raw = mne.io.read_raw_edf(folder / "S001" / f"S001R{run:02d}.edf",
                                  preload=True, verbose="error")
        mne.datasets.eegbci.standardize(raw)
        raw.pick(MI_CHANNELS)
        names = {"T0": "rest", "T1": t1, "T2": t2}
        a = raw.annotations
        raw.set_annotations(mne.Annotations(a.onset, a.duration,
                                            [names[d] for d in a.description]))
        raws.append(raw)
    return mne.concatenate_raws(raws)


def _folder(data: Path | None, name: str) -> Path:
    return data / name if data is not None else dataset_folder(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None,
                        help="folder that holds ssvep-exo/ and eegmmidb/ (default: the lookup)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    ssvep = ssvep_sample(_folder(args.data, "ssvep-exo"))
    ssvep.save(OUT / "ssvep_exo_s04_raw.fif", overwrite=True, verbose="error")
    mi_sample(_folder(args.data, "eegmmidb")).save(OUT / "eegmmidb_s001_raw.fif", overwrite=True,
                                                   verbose="error")
    for f in sorted(OUT.glob("*.fif")):
        print(f.name, f"{f.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
