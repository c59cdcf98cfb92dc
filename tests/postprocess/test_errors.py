"""Bad input: one line on stderr naming the file (and the dataset), exit code 1; usage errors exit 2. One case goes
through the wrapper script in a subprocess (the real exit code, and the script setting PYTHONPATH itself)."""

import shutil
import tempfile
import unittest
from pathlib import Path

import h5py

import synthetic
from common import run_cli, run_script


class BadFiles(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.good = synthetic.write(self.dir / "good.h5", rank_times=[[1, 1, 1, 0, 0, 4]])

    def tearDown(self):
        self.tmp.cleanup()

    def edited_copy(self, name, edit):
        path = self.dir / name
        shutil.copyfile(self.good, path)
        with h5py.File(path, "r+") as f:
            edit(f)
        return path

    def assert_fails(self, args, *expected):
        code, out, err = run_cli(*args)
        self.assertEqual(code, 1, f"stdout: {out}\nstderr: {err}")
        self.assertTrue(err.startswith("gridswarm-post: error: "), err)
        self.assertEqual(err.count("\n"), 1, err)  # one line
        for text in expected:
            self.assertIn(str(text), err)

    def test_missing_file(self):
        missing = self.dir / "nope.h5"
        for command in (["summary"], ["plot", "-o", self.dir / "p"]):
            self.assert_fails([command[0], missing, *command[1:]], f"{missing}: no such file")

    def test_not_hdf5(self):
        text = self.dir / "study.toml"
        text.write_text(synthetic.STUDY_TEXT)
        self.assert_fails(["summary", text], f"{text}: cannot open as HDF5")

    def test_truncated_file(self):
        data = self.good.read_bytes()
        for keep in (100, len(data) // 2, len(data) - 1000):
            cut = self.dir / f"cut{keep}.h5"
            cut.write_bytes(data[:keep])
            self.assert_fails(["summary", cut], f"{cut}")

    def test_missing_dataset(self):
        for name in ("/feeders/losses_kw", "/dsos/price_usd_per_mwh", "/time/seconds", "/feeders/agents/ev_kw"):
            path = self.edited_copy("missing.h5", lambda f: f.__delitem__(name))
            self.assert_fails(["summary", path], f"{path}: {name}: missing dataset")

    def test_missing_dataset_in_plot_and_compare(self):
        path = self.edited_copy("missing.h5", lambda f: f.__delitem__("/feeders/v_max_pu"))
        self.assert_fails(["plot", path, "-o", self.dir / "p"], f"{path}: /feeders/v_max_pu: missing dataset")
        self.assert_fails(["compare", self.good, path], f"{path}: /feeders/v_max_pu: missing dataset")

    def test_series_without_rows_written(self):
        path = self.edited_copy("norows.h5", lambda f: f["/feeders/iterations"].attrs.__delitem__("rows_written"))
        self.assert_fails(["summary", path], f"{path}: /feeders/iterations: time series without the rows_written")

    def test_rows_written_beyond_the_dataset(self):
        path = self.edited_copy("rows.h5", lambda f: f["/dsos/quantity_kw"].attrs.__setitem__("rows_written", 99))
        self.assert_fails(["summary", path], f"{path}: /dsos/quantity_kw: rows_written = 99 outside [0, 6]")

    def test_nothing_flushed(self):
        def zero(f):
            for name in synthetic.FEEDER_SERIES:
                f[f"/feeders/{name}"].attrs["rows_written"] = 0

        path = self.edited_copy("zero.h5", zero)
        self.assert_fails(["summary", path], f"{path}: /time/seconds: no rows written")

    def test_wrong_column_count(self):
        def widen(f):
            del f["/feeders/losses_kw"]
            ds = f.create_dataset("/feeders/losses_kw", data=[[1.0] * 5] * 6)
            ds.attrs["rows_written"] = 6

        path = self.edited_copy("wide.h5", widen)
        self.assert_fails(["summary", path], f"{path}: /feeders/losses_kw: expected 4 columns, got 5")

    def test_script_exit_codes(self):
        missing = self.dir / "gone.h5"
        r = run_script("summary", missing)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr, f"gridswarm-post: error: {missing}: no such file\n")

    def test_usage_error(self):
        code, _, err = run_cli("plot", self.good)  # -o is required
        self.assertEqual(code, 2)
        self.assertIn("usage: gridswarm-post plot", err)
        self.assertIn("-o/--output-dir", err)


if __name__ == "__main__":
    unittest.main()
