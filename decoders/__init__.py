"""decoders: EEG/EMG signal -> decision.

scikit-learn estimators on arrays of shape (n_trials, n_channels, n_times) or ``mne.Epochs``.
"""
