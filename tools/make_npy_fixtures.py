#!/usr/bin/env python3
"""Writes the small .npy files the Java Npy tests read, with numpy itself, so the tests check our
reader against the real format writer. Run with Debian's python3 (needs python3-numpy):
    /usr/bin/python3 tools/make_npy_fixtures.py
"""
import os

import numpy as np

out = os.path.join(os.path.dirname(__file__), "..", "java", "src", "test", "resources", "npy")
os.makedirs(out, exist_ok=True)

np.save(os.path.join(out, "f32_2x3.npy"), np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5)
np.save(os.path.join(out, "f64_4.npy"), np.array([0.1, -1e10, np.inf, np.nan]))
np.save(os.path.join(out, "i64_3.npy"), np.array([-5, 0, 2**31 - 1], dtype=np.int64))
np.save(os.path.join(out, "i64_overflow.npy"), np.array([2**40], dtype=np.int64))
np.save(os.path.join(out, "u8_2x2.npy"), np.array([[0, 255], [128, 7]], dtype=np.uint8))
np.save(os.path.join(out, "bool_3.npy"), np.array([True, False, True]))
np.save(os.path.join(out, "f32_be_3.npy"), np.array([1.5, -2.0, 3.25], dtype=">f4"))
np.save(os.path.join(out, "f32_scalar.npy"), np.float32(3.5))
np.save(os.path.join(out, "f32_fortran.npy"), np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
np.save(os.path.join(out, "c64_2.npy"), np.array([1 + 2j, 3], dtype=np.complex64))
# A version 2.0 header, as numpy writes when the header is too long for version 1.
with open(os.path.join(out, "f32_v2.npy"), "wb") as f:
    np.lib.format.write_array(f, np.array([7.0, 8.0], dtype=np.float32), version=(2, 0))
