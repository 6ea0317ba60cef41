"""docs/FEATURES.md stays true: every proving test it names exists."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def referenced_tests():
    """(file, test name) pairs from FEATURES.md; '::name' reuses the file named before it in the row."""
    pairs = []
    for line in (ROOT / "docs" / "FEATURES.md").read_text().splitlines():
        current = None
        for path, name in re.findall(r"`(tests/[\w/]+\.py)?::(\w+)`", line):
            current = path or current
            pairs.append((current, name))
    return pairs


def test_features_table_names_only_tests_that_exist():
    pairs = referenced_tests()
    assert len(pairs) > 40
    missing = [f"{path}::{name}" for path, name in pairs
               if path is None or f"def {name}(" not in (ROOT / path).read_text()]
    assert not missing, f"FEATURES.md names tests that do not exist: {missing}"


def test_every_done_row_names_a_proving_test():
    rows = [line for line in (ROOT / "docs" / "FEATURES.md").read_text().splitlines()
            if line.startswith("|") and "| done |" in line]
    assert rows and all("tests/" in row for row in rows)
