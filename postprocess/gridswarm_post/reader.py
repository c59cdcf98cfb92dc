"""Reading a gridswarm output file (layout: docs/output.md).

`RunFile` is the only place that touches h5py. It

- opens the file read-only and reports a missing, unreadable or truncated file as a `PostError` naming it (and the
  `.tmp` name a run leaves when it did not finish);
- knows the valid rows: a time series' rows `[0, rows_written)` are written, later rows are undefined (a killed run),
  so every series is cut to `rows`, the smallest `rows_written` of all series in the file;
- parses the study text stored in `/study/text` for the names of DSOs, feeder groups and copies, and the step.
"""

import datetime
import os
import re
import tomllib

import h5py
import numpy as np

from .errors import PostError

# /time/seconds counts from January 1 00:00 of a 365-day year (docs/study.md: the year of `start` is ignored), so the
# clock labels use a fixed non-leap year.
_YEAR_START = datetime.datetime(2015, 1, 1)
_DURATION_PART = re.compile(r"(\d+)([dhms])")
_DURATION_UNIT_S = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def clock_label(t_s):
    """'Jul 15 12:05' for `t_s` seconds after January 1 00:00 (local standard time)."""
    return (_YEAR_START + datetime.timedelta(seconds=float(t_s))).strftime("%b %d %H:%M")


def parse_duration_s(value):
    """Seconds of a study duration: an integer, or '1d', '24h', '90m', '1h30m', '300s' (docs/study.md)."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"bad duration '{value}'")
    return sum(int(n) * _DURATION_UNIT_S[u] for n, u in parts)


class StudyInfo:
    """Names and sizes from the study text: DSO names, feeder groups (name, copies, DSO), step and whether agent
    aggregates were written. Falls back to generic names ("dso 1", "feeder 3") when the text cannot be parsed or does
    not match the file's column counts; `note` then says why."""

    def __init__(self, text, n_feeders, n_dsos):
        self.name = "?"
        self.step_s = None
        self.agent_aggregates = True
        self.dso_names = [f"dso {k}" for k in range(n_dsos)]
        self.groups = [("all feeders", list(range(n_feeders)))]
        self.feeder_names = [f"feeder {j}" for j in range(n_feeders)]
        self.note = None
        try:
            self._parse(tomllib.loads(text), n_feeders, n_dsos)
        except (tomllib.TOMLDecodeError, ValueError, TypeError, KeyError, AttributeError) as e:
            self.note = f"study text not usable for names ({e}); generic names used"

    def _parse(self, doc, n_feeders, n_dsos):
        study = doc.get("study", {})
        self.name = str(study.get("name", "?"))
        self.step_s = parse_duration_s(study.get("step", 300))
        self.agent_aggregates = bool(doc.get("output", {}).get("agent_aggregates", True))
        dsos = [str(d["name"]) for d in doc.get("dsos", [])]
        groups, names, first = [], [], 0
        for g in doc.get("feeders", []):
            copies = int(g.get("copies", 1))
            groups.append((str(g["name"]), list(range(first, first + copies))))
            names += [f"{g['name']}#{c}" for c in range(copies)]
            first += copies
        if len(dsos) != n_dsos or first != n_feeders:
            raise ValueError(f"it lists {len(dsos)} DSOs and {first} feeder copies, the file has {n_dsos} and "
                             f"{n_feeders} columns")
        self.dso_names, self.groups, self.feeder_names = dsos, groups, names


class RunFile:
    """One output file opened read-only. Use as a context manager.

    Attributes: `path` (as given), `rows` (valid rows of every time series), `steps_planned` (length of the time
    axis = the study's steps), `time_s` (start of each valid row, s), `step_s`, `study` (StudyInfo),
    `n_feeders`, `n_dsos`.
    """

    def __init__(self, path):
        self.path = str(path)
        self._h5 = _open(self.path)
        try:
            self._load_axes()
        except BaseException:
            self._h5.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._h5.close()

    def error(self, dataset, message):
        return PostError(self.path, dataset, message)

    def has(self, name):
        try:
            return name in self._h5
        except (OSError, RuntimeError, KeyError):  # a damaged group (truncated file) answers with an HDF5 error
            return False

    def dataset(self, name):
        """The h5py dataset `name`; PostError if it is missing or is a group."""
        try:
            obj = self._h5[name]
        except KeyError:
            raise self.error(name, "missing dataset (see docs/output.md for the layout)") from None
        except (OSError, RuntimeError) as e:
            raise self.error(name, f"cannot be read ({e}); truncated or damaged file?") from None
        if not isinstance(obj, h5py.Dataset):
            raise self.error(name, "is a group, expected a dataset")
        return obj

    def attr(self, name, key, default=None):
        """Attribute `key` of dataset `name` (str for strings), or `default` when absent."""
        value = self.dataset(name).attrs.get(key, default)
        return value.decode() if isinstance(value, bytes) else value

    def _read(self, name, selection=()):
        ds = self.dataset(name)
        try:
            return ds[selection] if selection != () else ds[()]
        except (OSError, RuntimeError, ValueError) as e:
            raise self.error(name, f"cannot be read ({e}); truncated or damaged file?") from None

    def vector(self, name, length=None):
        """A 1-D dataset as a float64 array; PostError unless it is 1-D (and of `length` when given)."""
        ds = self.dataset(name)
        if ds.ndim != 1:
            raise self.error(name, f"expected a 1-D dataset, got shape {ds.shape}")
        if length is not None and ds.shape[0] != length:
            raise self.error(name, f"expected {length} values, got {ds.shape[0]}")
        return np.asarray(self._read(name), dtype=np.float64)

    def series(self, name, columns=None):
        """A time series [steps x columns], cut to the valid rows [0, rows); float64 (int32 counts are converted).
        PostError unless it is 2-D, has `rows_written`, and (when given) `columns` columns."""
        ds = self._check_series(name)
        if columns is not None and ds.shape[1] != columns:
            raise self.error(name, f"expected {columns} columns, got {ds.shape[1]}")
        return np.asarray(self._read(name, np.s_[: self.rows, :]), dtype=np.float64)

    def text(self, name):
        """A fixed-length UTF-8 text dataset (the study file) as str; one NUL byte is empty text."""
        raw = self._read(name)
        return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)).rstrip("\0")

    def names_under(self, group):
        """Paths of the datasets under `group` (recursively), sorted; [] if the group does not exist."""
        if not self.has(group) or not isinstance(self._h5[group], h5py.Group):
            return []
        found = []
        self._h5[group].visititems(lambda n, o: found.append(f"{group}/{n}") if isinstance(o, h5py.Dataset) else None)
        return sorted(found)

    def _check_series(self, name):
        ds = self.dataset(name)
        if ds.ndim != 2:
            raise self.error(name, f"expected a [steps x columns] time series, got shape {ds.shape}")
        if "rows_written" not in ds.attrs:
            raise self.error(name, "time series without the rows_written attribute (docs/output.md, Flushing)")
        return ds

    def _load_axes(self):
        t_all = self.vector("/time/seconds")
        self.steps_planned = len(t_all)
        self.n_feeders = len(self.vector("/feeders/dso"))
        self.n_dsos = self.dataset("/dsos/price_usd_per_mwh").shape[-1]
        self.rows = self._valid_rows()
        self.time_s = t_all[: self.rows]
        text = self.text("/study/text") if self.has("/study/text") else ""
        self.study = StudyInfo(text, self.n_feeders, self.n_dsos)
        self.study_file = self.attr("/study/text", "file", "") if self.has("/study/text") else ""
        self.step_s = self._step_s()

    def _valid_rows(self):
        """min(rows_written) over every time series of the file, checked against the shapes and the time axis."""
        rows = self.steps_planned
        for name in self._series_names():
            ds = self.dataset(name)
            if "rows_written" not in ds.attrs:
                raise self.error(name, "time series without the rows_written attribute (docs/output.md, Flushing)")
            written = int(ds.attrs["rows_written"])
            if not 0 <= written <= ds.shape[0]:
                raise self.error(name, f"rows_written = {written} outside [0, {ds.shape[0]}] (damaged file)")
            if ds.shape[0] != self.steps_planned:
                raise self.error(name, f"{ds.shape[0]} rows, but /time/seconds has {self.steps_planned} steps")
            rows = min(rows, written)
        if rows == 0:
            raise self.error("/time/seconds", "no rows written: the run stopped before its first flush")
        return rows

    def _series_names(self):
        """Every dataset with a rows_written attribute, and every 2-D dataset outside /run/ and /study/."""
        found = []

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and ("rows_written" in obj.attrs or
                                                  (obj.ndim == 2 and not name.startswith(("run/", "study/")))):
                found.append("/" + name)

        try:
            self._h5.visititems(visit)
        except (OSError, RuntimeError) as e:
            raise self.error(None, f"cannot list the datasets ({e}); truncated or damaged file?") from None
        return sorted(found)

    def _step_s(self):
        steps = np.diff(self.time_s)
        if len(steps) == 0:
            if self.study.step_s is None:
                raise self.error("/time/seconds", "one row and no step in the study text: step unknown")
            return float(self.study.step_s)
        if steps[0] <= 0 or np.any(steps != steps[0]):
            raise self.error("/time/seconds", "time axis is not increasing in equal steps")
        return float(steps[0])


def _open(path):
    if not os.path.exists(path):
        hint = f" (only {path}.tmp exists: the run did not finish; open that copy)" if os.path.exists(
            path + ".tmp") else ""
        raise PostError(path, None, f"no such file{hint}")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise PostError(path, None, f"cannot open as HDF5 ({e}); truncated, not an HDF5 file, or killed before "
                                    "its first flush?") from None
