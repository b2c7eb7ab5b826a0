#!/usr/bin/env python3
"""Prints one closing line for CI, "tests: N passed, N failed, N skipped", added up from the JUnit
XML reports in the folders named on the command line (Surefire's TEST-*.xml, and ctest-junit.xml that
`ctest --output-junit` writes in a native build folder)."""
import glob
import os
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for path in sys.argv[1:]:
    for report in glob.glob(os.path.join(path, "TEST-*.xml")) + glob.glob(os.path.join(path, "ctest-junit.xml")):
        root = ET.parse(report).getroot()
        suite = root if root.tag == "testsuite" else root.find("testsuite")
        tests = int(suite.get("tests", 0))
        bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skip = int(suite.get("skipped", 0))
        passed += tests - bad - skip
        failed += bad
        skipped += skip

print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
