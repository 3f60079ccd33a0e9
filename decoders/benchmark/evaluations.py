"""Evaluations: split trials into train/test sets, fit and score pipelines, return tidy results.

Three protocols, as MOABB's:

* :class:`WithinSessionEvaluation`: stratified k-fold inside each session of each subject;
* :class:`CrossSessionEvaluation`: leave one session out, per subject;
* :class:`CrossSubjectEvaluation`: leave one subject out.

Test predictions of all folds are pooled, so each result row scores every test trial of its
subject × session once. Folds are seeded (``random_state``), pipelines receive the same seed,
and work units are independent, so sequential, joblib (``n_jobs``) and Dask (``scheduler``)
runs give identical scores; only timings differ.

On a Dask cluster the workers load their own subjects and keep them: a work unit names the
subjects it needs (futures) and the trials it takes from each, so no EEG travels in the task
graph (:attr:`Executor.graph_bytes` counts what does) and each unit runs where its subject
already is.

A pipeline's leading stateless steps (:data:`~decoders.benchmark.pipelines.STATELESS_STEPS`,
e.g. covariance estimation), and a one-step pipeline's own stateless front end (its
``stateless_front()``, e.g. the filter bank of FBCCA, :class:`decoders.ssvep.SubBands`), run once
over all trials of a task rather than once per fold; the results are the same, only faster.

Result columns (:data:`RESULT_COLUMNS`): ``dataset, evaluation, subject, session, pipeline,
window`` (s), ``accuracy, balanced_accuracy, kappa, roc_auc`` (two classes, else NaN),
``itr_bits_per_min`` (Wolpaw; time per selection = window + ``gaze_shift``), ``fit_time``
(mean s per fold; the once-per-task stateless steps count pro rata of the training trials),
``latency`` (median s of the whole pipeline's ``predict`` on one window, over 5 test windows of
the last fold), ``n_train`` (mean training trials per fold), ``n_test`` (test trials in the
row), ``n_classes``, ``classes`` and ``confusion`` (JSON: rows = true class, columns =
predicted, in ``classes`` order).

SSVEP results also carry, in ``results.attrs``, ``"phase_locking"`` (records of
:func:`~decoders.benchmark.phase_locking.phase_locking`: inter-trial phase coherence of each
class per subject, on the longest window) and ``"warnings"`` (one line per template method run
on data that is not phase-locked, :func:`~decoders.benchmark.phase_locking.template_warnings`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import joblib
import numpy as np
import pandas as pd
from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold
from sklearn.pipeline import make_pipeline

from decoders.benchmark.datasets import Dataset
from decoders.benchmark.metrics import score_predictions
from decoders.benchmark.paradigms import FilterBankSSVEP, Paradigm
from decoders.benchmark.phase_locking import phase_locking, template_warnings
from decoders.benchmark.pipelines import (
    PipelineContext,
    PipelineSpec,
    build_pipeline,
    split_stateless,
)

RESULT_COLUMNS = [
    "dataset", "evaluation", "subject", "session", "pipeline", "window",
    "accuracy", "balanced_accuracy", "kappa", "roc_auc", "itr_bits_per_min",
    "fit_time", "latency", "n_train", "n_test", "n_classes", "classes", "confusion",
]
_N_LATENCY_TRIALS = 5  # single-window predictions timed per task


@dataclass(frozen=True)
class SubjectData:
    """Trials of one subject for each pipeline input (``"broadband"``/``"filter_bank"``)."""

    subject: int
    X: dict[str, np.ndarray]
    y: np.ndarray
    metadata: pd.DataFrame
    sfreq: float


    def info(self) -> SubjectInfo:
        """What building work units needs: everything but the trials."""
        return SubjectInfo(self.subject, self.y, self.metadata, self.sfreq,
                           {name: X.shape for name, X in self.X.items()})


@dataclass(frozen=True)
class SubjectInfo:
    """Labels, metadata, rate and the shape of ``X`` per input of one loaded subject."""

    subject: int
    y: np.ndarray
    metadata: pd.DataFrame
    sfreq: float
    shapes: dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class Task:
    """One unit of work: fit/score one pipeline at one window on a set of folds.

    It holds no EEG: :func:`run_task` gets the subjects' :class:`SubjectData` as arguments and
    takes ``trials[k]`` (indices) of the ``k``-th one's ``X[input]``, in that order.
    """

    spec: PipelineSpec
    context: PipelineContext
    input: str
    trials: tuple[np.ndarray, ...]
    y: np.ndarray
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]
    session_of: np.ndarray  # session of each trial; test predictions are pooled per
    subject_of: np.ndarray  # subject × session into one result row
    n_times: int
    trial_seconds: float
    row: dict  # dataset, evaluation, pipeline, window


def load_subject(
    dataset: Dataset, paradigm: Paradigm, subject: int, inputs: Sequence[str],
    filters: Sequence[Sequence[float]] | None = None,
) -> SubjectData:
    """Load one subject's recordings once and apply the paradigm for each needed input.

    Parameters
    ----------
    dataset, paradigm : Dataset, Paradigm
    subject : int
    inputs : sequence of str
        Pipeline inputs needed: ``"broadband"`` uses ``paradigm``; ``"filter_bank"`` uses
        :func:`filter_bank_paradigm` of it.
    filters : sequence of (low, high) | None
        Filter-bank bands (Hz); None: one band of ±0.5 Hz around each stimulus frequency.
    """
    recordings = dataset.get_data(subject)
    X, y, meta, sfreq = {}, None, None, None
    for name in inputs:
        para = paradigm if name == "broadband" else filter_bank_paradigm(paradigm, filters)
        X[name], y_in, meta_in, sfreq = para.process_recordings(dataset, subject, recordings)
        if y is None:
            y, meta = y_in, meta_in
        elif not (np.array_equal(y, y_in) and meta.equals(meta_in)):
            raise RuntimeError(f"{dataset.code} subject {subject}: inputs disagree on trials.")
    return SubjectData(subject, X, y, meta, sfreq)


def filter_bank_paradigm(
    paradigm: Paradigm, filters: Sequence[Sequence[float]] | None = None
) -> FilterBankSSVEP:
    """The filter-bank SSVEP paradigm with the same classes, window, channels and filtering."""
    if paradigm.kind != "ssvep":
        raise ValueError(
            f"Filter-bank pipelines need an SSVEP paradigm, got {type(paradigm).__name__}."
        )
    return FilterBankSSVEP(
        filters=filters, events=paradigm.events, tmin=paradigm.tmin, tmax=paradigm.tmax,
        window=paradigm.window, channels=paradigm.channels, resample=paradigm.resample,
        phase=paradigm.phase, filter_order=paradigm.filter_order,
    )


def _scores_matrix(estimator, X: np.ndarray, classes: np.ndarray) -> np.ndarray | None:
    """Continuous scores with one column per task class, or None if unavailable."""
    for method in ("decision_function", "predict_proba"):
        if hasattr(estimator, method):
            try:
                s = np.asarray(getattr(estimator, method)(X), dtype=float)
            except AttributeError:  # e.g. a Pipeline whose last step lacks the method
                continue
            if s.ndim == 1:
                s = np.column_stack([-s, s])
            if not np.array_equal(np.asarray(estimator.classes_), classes):
                return None
            return s
    return None


def run_task(task: Task, *members: SubjectData) -> list[dict]:
    """Fit and score one task; one result dict per test session (see module docstring).

    Parameters
    ----------
    task : Task
    *members : SubjectData
        The subjects whose trials ``task.trials`` selects, in that order.

    Returns
    -------
    rows : list of dict
    """
    if len(members) != len(task.trials):
        raise ValueError(f"run_task: the task takes trials of {len(task.trials)} subject(s), "
                         f"got {len(members)}.")
    full = np.concatenate([m.X[task.input][ix] for m, ix in zip(members, task.trials,
                                                                 strict=True)])
    X = full[:, :, : task.n_times]
    classes = np.array(task.context.classes, dtype=object)
    n = len(task.y)
    stateless, spec = split_stateless(task.spec)
    front = [] if stateless is None else [build_pipeline(stateless, task.context)]
    if len(spec.steps) == 1:
        own = build_pipeline(spec, task.context)
        if hasattr(own, "stateless_front") and (step := own.stateless_front()) is not None:
            front.append(step)
    prefix = make_pipeline(*front) if front else None
    prefix_seconds = 0.0
    if prefix is not None:
        start = time.perf_counter()
        X = prefix.fit(X).transform(X)
        prefix_seconds = time.perf_counter() - start
    y_pred = np.empty(n, dtype=object)
    scores = np.full((n, len(classes)), np.nan)
    tested = np.zeros(n, dtype=bool)
    fit_times, latencies, n_train = [], [], []
    have_scores = len(classes) == 2  # scores serve the ROC-AUC, a two-class score
    for train, test in task.folds:
        estimator = build_pipeline(spec, task.context)
        start = time.perf_counter()
        estimator.fit(X[train], task.y[train])
        fit_times.append(time.perf_counter() - start + prefix_seconds * len(train) / n)
        n_train.append(len(train))
        y_pred[test] = estimator.predict(X[test])
        if have_scores:
            s = _scores_matrix(estimator, X[test], classes)
            if s is None:
                have_scores = False
            else:
                scores[test] = s
        tested[test] = True
    whole = estimator if prefix is None else make_pipeline(prefix, estimator)
    for i in test[:_N_LATENCY_TRIALS]:  # the last fold's model on its first test windows
        window = full[i : i + 1, :, : task.n_times]
        start = time.perf_counter()
        whole.predict(window)
        latencies.append(time.perf_counter() - start)
    rows = []
    keys = pd.DataFrame({"subject": task.subject_of, "session": task.session_of})[tested]
    for subject, session in keys.drop_duplicates().itertuples(index=False):
        idx = np.flatnonzero(
            tested & (task.subject_of == subject) & (task.session_of == session)
        )
        result = score_predictions(
            task.y[idx], y_pred[idx], classes, scores[idx] if have_scores else None,
            task.trial_seconds,
        )
        result["confusion"] = json.dumps(result["confusion"])
        rows.append({
            **task.row, "subject": int(subject), "session": str(session), **result,
            "fit_time": float(np.mean(fit_times)), "latency": float(np.median(latencies)),
            "n_train": int(round(np.mean(n_train))), "n_test": len(idx),
            "n_classes": len(classes), "classes": json.dumps(list(classes)),
        })
    return rows


SCHEDULER_TIMEOUT = 5.0
"""Seconds to wait for a Dask scheduler to answer before giving up."""


def connect_scheduler(address: str, timeout: float | None = None):
    """A ``dask.distributed.Client`` of the scheduler at ``address`` (``tcp://host:port``).

    The scheduler is asked who it is first, with the whole exchange bounded by ``timeout``
    seconds (None: :data:`SCHEDULER_TIMEOUT`), so that a wrong address fails fast, also when
    something else listens there.

    Raises
    ------
    ValueError
        If ``address`` is malformed, or no Dask scheduler answers there within ``timeout`` s
        (the message names the address).
    """
    from dask.distributed import Client
    from distributed.comm import connect
    from distributed.core import send_recv

    timeout = SCHEDULER_TIMEOUT if timeout is None else timeout

    async def identity() -> object:
        comm = await connect(address, timeout=timeout)
        try:
            return await send_recv(comm, op="identity")
        finally:
            comm.abort()

    async def bounded() -> object:
        return await asyncio.wait_for(identity(), timeout)

    try:  # a thread of its own, so that this works beside a running event loop (notebooks)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            reply = pool.submit(asyncio.run, bounded()).result()
    # MemoryError: a peer that is not a Dask scheduler can announce absurd message sizes
    except (OSError, ValueError, TypeError, MemoryError) as err:
        reason = str(err) or type(err).__name__
        raise ValueError(f"no Dask scheduler answered at {address!r} within {timeout:g} s "
                         f"({reason})") from err
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise ValueError(f"{address!r} answered, but not as a Dask scheduler")
    return Client(address, set_as_default=False, timeout=timeout)


class Executor:
    """Map a function over work items sequentially, with joblib, or on a Dask cluster.

    Parameters
    ----------
    n_jobs : int
        joblib workers (1: sequential, in this process). Ignored with ``scheduler``.
    scheduler : str | None
        Address of a Dask distributed scheduler (``tcp://host:port``); None runs locally.

    Attributes
    ----------
    graph_bytes : int
        With ``scheduler``: bytes of the pickled calls (function and arguments, a future
        counting as its key) submitted to the cluster so far; 0 otherwise.
    """

    def __init__(self, n_jobs: int = 1, scheduler: str | None = None) -> None:
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
            raise ValueError(f"n_jobs must be a non-zero int (-1: all cores), got {n_jobs!r}.")
        self.n_jobs = n_jobs
        self.scheduler = scheduler
        self.graph_bytes = 0
        self._client = None

    @contextlib.contextmanager
    def session(self) -> Iterator[Executor]:
        """Keep one Dask client open across calls, so that results kept on the workers
        (``starmap(..., keep=True)``) can be passed to later calls; nothing locally."""
        if self.scheduler is None or self._client is not None:
            yield self
            return
        with connect_scheduler(self.scheduler) as client:
            self._client = client
            try:
                yield self
            finally:
                self._client = None

    def map(
        self, fn: Callable, items: Sequence, progress: Callable[[], None] | None = None
    ) -> list:
        """``[fn(item) for item in items]``, in order; ``progress()`` after each item."""
        return self.starmap(fn, [(item,) for item in items], progress)

    def starmap(
        self, fn: Callable, args: Sequence[tuple], progress: Callable[[], None] | None = None,
        *, keep: bool = False,
    ) -> list:
        """``[fn(*a) for a in args]``, in order; ``progress()`` after each call.

        ``keep=True`` (inside :meth:`session`) leaves each result where it was computed: on a
        Dask cluster the list holds futures, which later calls take as arguments (the worker
        that runs a call fetches them from the worker that holds them, never through this
        process); locally it holds the results.
        """
        tick = progress or (lambda: None)
        if self.scheduler is not None:
            with self.session():
                return self._dask(fn, args, tick, keep)
        if self.n_jobs == 1:
            out = []
            for a in args:
                out.append(fn(*a))
                tick()
            return out
        out = []
        for result in joblib.Parallel(n_jobs=self.n_jobs, return_as="generator")(
            joblib.delayed(fn)(*a) for a in args
        ):
            out.append(result)
            tick()
        return out

    def on_kept(self, fn: Callable, kept: Sequence, *extra) -> list:
        """``[fn(k, *extra) for k in kept]`` for results of ``starmap(..., keep=True)``, run
        where each is: on its Dask worker (only the small outputs come back), else here."""
        if self.scheduler is None:
            return [fn(k, *extra) for k in kept]
        return self.starmap(fn, [(k, *extra) for k in kept])

    def _dask(self, fn: Callable, args: Sequence[tuple], tick: Callable[[], None],
              keep: bool) -> list:
        import cloudpickle

        client = self._client
        futures = []
        for a in args:
            self.graph_bytes += len(cloudpickle.dumps((fn, a)))
            futures.append(client.submit(fn, *a, pure=False))
        if keep:
            for future in futures:
                if future.exception() is not None:  # waits; fetches no result
                    future.result()  # raises the worker's exception here
                tick()
            return futures
        out = []
        for future in futures:
            out.append(future.result())
            tick()
        return out


class BaseEvaluation:
    """Shared machinery of the three evaluations.

    Parameters
    ----------
    n_splits : int
        Folds of the within-session stratified k-fold.
    random_state : int
        Seed of the folds and of the pipelines.
    windows : sequence of float | None
        Window lengths (s) to evaluate, each cut from the start of the paradigm's window and no
        longer than it; None evaluates the paradigm's window only.
    gaze_shift : float
        Time (s) added to the window per selection for the ITR (gaze shift / inter-trial time).
    n_jobs : int
        Parallel joblib workers.
    scheduler : str | None
        Dask scheduler address; work runs on that cluster instead of joblib.
    """

    name = ""

    def __init__(
        self,
        *,
        n_splits: int = 5,
        random_state: int = 42,
        windows: Sequence[float] | None = None,
        gaze_shift: float = 1.0,
        n_jobs: int = 1,
        scheduler: str | None = None,
    ) -> None:
        if isinstance(n_splits, bool) or not isinstance(n_splits, int) or n_splits < 2:
            raise ValueError(f"n_splits must be an int >= 2, got {n_splits!r}.")
        if not gaze_shift >= 0:
            raise ValueError(f"gaze_shift must be >= 0 s, got {gaze_shift!r}.")
        if windows is not None and (not windows or any(not w > 0 for w in windows)):
            raise ValueError(f"windows must be a non-empty list of lengths > 0 s, got {windows}.")
        self.n_splits = n_splits
        self.random_state = random_state
        self.windows = None if windows is None else [float(w) for w in windows]
        self.gaze_shift = float(gaze_shift)
        self.executor = Executor(n_jobs, scheduler)

    def _groups(
        self, data: list[SubjectInfo]
    ) -> list[tuple[tuple[tuple[int, np.ndarray], ...], tuple]]:
        """Per task group: ``(position in data, trial indices)`` of each subject whose trials
        form X, in order, and the folds over those trials."""
        raise NotImplementedError

    def evaluate(
        self,
        dataset: Dataset,
        paradigm: Paradigm,
        pipelines: Mapping[str, PipelineSpec],
        *,
        subjects: Sequence[int] | None = None,
        filters: Sequence[Sequence[float]] | None = None,
        progress: Callable[[str, int], Callable[[], None]] | None = None,
    ) -> pd.DataFrame:
        """Evaluate every pipeline on ``dataset`` through ``paradigm``.

        Parameters
        ----------
        dataset : Dataset
        paradigm : Paradigm
            Broadband paradigm; pipelines with ``input="filter_bank"`` get its filter-bank
            variant (:func:`filter_bank_paradigm`).
        pipelines : mapping of str to PipelineSpec
        subjects : sequence of int | None
            Subjects to use; None uses all of the dataset's.
        filters : sequence of (low, high) | None
            Bands of the filter-bank variant.
        progress : callable | None
            ``progress(stage, total)`` returns a callback called once per finished item of the
            stage (``"load"``, then ``"fit"``).

        Returns
        -------
        results : pandas.DataFrame
            One row per subject × session × pipeline × window, columns :data:`RESULT_COLUMNS`.
        """
        if not pipelines:
            raise ValueError("No pipeline to evaluate.")
        subjects = dataset.subjects if subjects is None else list(subjects)
        unknown = [s for s in subjects if s not in dataset.subjects]
        if unknown:
            raise ValueError(f"{dataset.code}: unknown subject(s) {unknown}; available: "
                             f"{dataset.subjects}.")
        inputs = sorted({spec.input for spec in pipelines.values()})
        ex = self.executor
        with ex.session():  # on a cluster, each subject stays on the worker that loaded it
            tick = progress("load", len(subjects)) if progress else None
            data = ex.starmap(_LoadSubject(dataset, paradigm, inputs, filters),
                              [(s,) for s in subjects], tick, keep=True)
            infos = ex.on_kept(SubjectData.info, data)
            tasks, members = self._tasks(dataset, paradigm, pipelines, infos)
            tick = progress("fit", len(tasks)) if progress else None
            done = ex.starmap(run_task, [(t, *(data[i] for i in m))
                                         for t, m in zip(tasks, members, strict=True)], tick)
            rows = [row for rows in done for row in rows]
            locking = None
            if paradigm.kind == "ssvep" and dataset.stim_freqs:
                locking = ex.on_kept(_phase_locking_of, data, dataset.stim_freqs,
                                     dataset.code)
        results = pd.DataFrame(rows, columns=RESULT_COLUMNS)
        results = results.sort_values(
            ["subject", "session", "pipeline", "window"], kind="stable"
        ).reset_index(drop=True)
        if locking is not None:
            table = pd.concat(locking, ignore_index=True)
            results.attrs["phase_locking"] = table.to_dict("records")
            results.attrs["warnings"] = template_warnings(pipelines, table)
        return results

    def _tasks(
        self, dataset, paradigm, pipelines, data: list[SubjectInfo]
    ) -> tuple[list[Task], list[tuple[int, ...]]]:
        """The work units, and for each the positions in ``data`` of the subjects it needs."""
        sfreq = {d.sfreq for d in data}
        if len(sfreq) != 1:
            raise ValueError(f"{dataset.code}: subjects have different sampling rates {sfreq}; "
                             "set the paradigm's resample.")
        sfreq = sfreq.pop()
        full = next(iter(data[0].shapes.values()))[2]
        full_s = (full - 1) / sfreq
        windows = self.windows or [full_s]
        too_long = [w for w in windows if round(w * sfreq) + 1 > full]
        if too_long:
            raise ValueError(f"windows {too_long} s are longer than the paradigm's window "
                             f"{full_s:g} s.")
        classes = tuple(sorted(np.unique(np.concatenate([d.y for d in data])).tolist()))
        tasks, members = [], []
        for parts, folds in self._groups(data):
            y = np.concatenate([data[i].y[ix] for i, ix in parts])
            meta = pd.concat([data[i].metadata.iloc[ix] for i, ix in parts], ignore_index=True)
            for name, spec in pipelines.items():
                n_channels = data[parts[0][0]].shapes[spec.input][1]
                for window in windows:
                    n_times = round(window * sfreq) + 1
                    context = PipelineContext(
                        sfreq=sfreq, classes=classes, stim_freqs=dataset.stim_freqs,
                        n_channels=n_channels, n_times=n_times, random_state=self.random_state,
                    )
                    tasks.append(Task(
                        spec=spec, context=context, input=spec.input,
                        trials=tuple(ix for _, ix in parts), y=y, folds=folds,
                        session_of=meta["session"].to_numpy(dtype=object),
                        subject_of=meta["subject"].to_numpy(),
                        n_times=n_times, trial_seconds=window + self.gaze_shift,
                        row={"dataset": dataset.code, "evaluation": self.name,
                             "pipeline": name, "window": window},
                    ))
                    members.append(tuple(i for i, _ in parts))
        return tasks, members


def _phase_locking_of(data: SubjectData, stim_freqs: Mapping[str, float],
                      code: str) -> pd.DataFrame:
    """:func:`phase_locking` of one subject's first input (runs where the subject is)."""
    return phase_locking(next(iter(data.X.values())), data.y, data.metadata, stim_freqs,
                         data.sfreq, code)


@dataclass(frozen=True)
class _LoadSubject:
    """Picklable ``subject -> SubjectData`` for the executor."""

    dataset: Dataset
    paradigm: Paradigm
    inputs: Sequence[str]
    filters: Sequence[Sequence[float]] | None

    def __call__(self, subject: int) -> SubjectData:
        return load_subject(self.dataset, self.paradigm, subject, self.inputs, self.filters)


class WithinSessionEvaluation(BaseEvaluation):
    """Stratified k-fold (shuffled, seeded) inside each session of each subject."""

    name = "within-session"

    def _groups(self, data):
        out = []
        for i, d in enumerate(data):
            for session in pd.unique(d.metadata["session"]):
                ix = np.flatnonzero(d.metadata["session"].to_numpy() == session)
                y = d.y[ix]
                labels, counts = np.unique(y, return_counts=True)
                if counts.min() < self.n_splits:
                    per_class = dict(zip(labels, counts.tolist(), strict=True))
                    raise ValueError(
                        f"subject {d.subject} session {session}: class {labels[counts.argmin()]!r}"
                        f" has {counts.min()} trials, fewer than the {self.n_splits} folds "
                        f"requested (class counts {per_class}); lower n_splits."
                    )
                cv = StratifiedKFold(self.n_splits, shuffle=True, random_state=self.random_state)
                folds = tuple(cv.split(np.zeros(len(y)), y))
                out.append((((i, ix),), folds))
        return out


class CrossSessionEvaluation(BaseEvaluation):
    """Leave one session out, per subject (subjects with one session are an error)."""

    name = "cross-session"

    def _groups(self, data):
        out = []
        for i, d in enumerate(data):
            sessions = d.metadata["session"].to_numpy()
            if len(np.unique(sessions)) < 2:
                raise ValueError(
                    f"subject {d.subject} has a single session ({sessions[0]!r}); "
                    "cross-session evaluation needs at least 2."
                )
            folds = tuple(LeaveOneGroupOut().split(np.zeros(len(d.y)), d.y, sessions))
            out.append((((i, np.arange(len(d.y))),), folds))
        return out


class CrossSubjectEvaluation(BaseEvaluation):
    """Leave one subject out: train on all other subjects, test on the left-out one."""

    name = "cross-subject"

    def _groups(self, data):
        if len(data) < 2:
            raise ValueError("cross-subject evaluation needs at least 2 subjects, got "
                             f"{[d.subject for d in data]}.")
        subject_of = np.concatenate([np.full(len(d.y), d.subject) for d in data])
        y = np.concatenate([d.y for d in data])
        folds = tuple(LeaveOneGroupOut().split(np.zeros(len(y)), y, subject_of))
        return [(tuple((i, np.arange(len(d.y))) for i, d in enumerate(data)), folds)]


EVALUATIONS: dict[str, type[BaseEvaluation]] = {
    "within-session": WithinSessionEvaluation,
    "cross-session": CrossSessionEvaluation,
    "cross-subject": CrossSubjectEvaluation,
}
"""Evaluation classes by the name used in benchmark configs."""
