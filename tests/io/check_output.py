#!/usr/bin/python3
"""Reads the file of H5Output.RoundRobinColumnsRoundTrip (kept via GRIDSWARM_IO_KEEP) with h5py, as a user would.

The planted values mirror tests/io/test_h5_output.cpp. Run by ctest as io_h5py after io_h5py_write.
"""
import sys

import h5py
import numpy as np

STEPS = 30


def main(path):
    with h5py.File(path, "r") as f:
        rows = np.arange(STEPS)[:, None]
        p = f["/feeders/p_kw"]
        assert p.shape == (STEPS, 10) and p.dtype == np.float64, (p.shape, p.dtype)
        assert p.compression == "gzip" and p.chunks == (7, 10), (p.compression, p.chunks)
        assert p.attrs["units"] == "kW" and p.attrs["rows_written"] == STEPS, dict(p.attrs)
        np.testing.assert_array_equal(p[...], 1e6 + rows * 1000.0 + np.arange(10)[None, :] + 0.25)
        it = f["/feeders/iterations"]
        assert it.dtype == np.int32, it.dtype
        np.testing.assert_array_equal(it[...], rows * 100 + np.arange(5)[None, :])
        np.testing.assert_array_equal(f["/dsos/price_usd_per_mwh"][:, 0], 3e6 + np.arange(STEPS) * 1000.0 + 0.25)
        np.testing.assert_array_equal(f["/time_s"][...], 300.0 * np.arange(STEPS))
        assert f["/study/toml"][()].decode() == '[study]\nstep = "5min"\n'
        assert f.attrs["title"] == "unit test"
        assert f["/run"].attrs["ranks"] >= 1
    print("h5py read", path, "OK")


if __name__ == "__main__":
    main(sys.argv[1])
