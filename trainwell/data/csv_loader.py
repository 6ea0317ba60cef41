"""Loading a table from a CSV file: numbers kept, categories one-hot encoded, gaps filled, choices reported."""
import collections
import csv
import math
import os
import statistics

import numpy

from trainwell import backend
from trainwell._errors import bad_type, bad_value, check_number, unknown_name

MISSING_VALUES = ("", "NA", "N/A", "NaN", "nan", "null", "None", "?")


def load_csv(path, target, categorical=None, numeric=None, drop=(), delimiter=",",
             missing_values=MISSING_VALUES, max_categories=20, reuse=None):
    """Read a CSV table with a header row into (x, y, report), for tables like Titanic.

    Each column other than `target` and `drop` becomes features. A column is numeric when listed in
    `numeric` or when every present value is a finite number; categorical when listed in
    `categorical` or when no present value is a number (at most `max_categories` distinct values,
    default 20, else an error suggesting drop=). Numeric columns are kept as they are; categorical
    columns are one-hot encoded in place, one output column 'name=value' per category, categories
    sorted. A cell whose stripped text is in `missing_values` (default: empty, NA, N/A, NaN, nan,
    null, None, ?) is missing and filled: the median of the column's present values for numbers, the
    most frequent value for categories (ties: the first in sorted order).

    The target is never filled: a missing target is an error. A numeric target gives y int64 when
    every value is a whole number, else float64; a text target gives int64 class indices into
    report['classes'] (sorted). target=None reads a table without one (y is None).

    Returns (x, y, report): x of floatx dtype, shape (rows, len(report['features'])); report a dict
    (printable as a summary) of every choice: each column's kind, categories, fill value and how many
    cells were filled. Pass it as `reuse=` to encode another file (a test set) with the same columns,
    categories and fill values (a category it never saw is an error).

    Errors name the file, row and column: an unknown column name (header, row 1), a value that is no
    number where one is needed, a column that mixes numbers and text, a row with the wrong number of
    fields. Example: `x, y, report = load_csv("titanic.csv", "Survived", drop=["PassengerId", "Name",
    "Ticket", "Cabin"]); print(report)`.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise bad_type("load_csv", "path", "a file path (str or os.PathLike)", path)
    where = f"load_csv({os.path.basename(os.fspath(path))})"
    categorical, numeric, drop = (_names(where, argument, value) for argument, value in
                                  (("categorical", categorical), ("numeric", numeric), ("drop", drop)))
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise bad_value(where, "delimiter", "a single character", delimiter)
    if not isinstance(missing_values, (list, tuple, set, frozenset)) or not all(
            isinstance(item, str) for item in missing_values):
        raise bad_type(where, "missing_values", "a list of strings", missing_values)
    check_number(where, "max_categories", max_categories, low=1, integer=True)
    if target is not None and not isinstance(target, str):
        raise bad_type(where, "target", "a column name (str) or None", target)
    if reuse is not None and (not isinstance(reuse, dict) or "columns" not in reuse):
        raise bad_type(where, "reuse", "the report returned by an earlier load_csv call", reuse)
    header, rows, lines = _read_rows(path, delimiter, where)
    wanted = ([target] if target is not None else []) + sorted(categorical | numeric | drop)
    wanted += [column["name"] for column in reuse["columns"]] if reuse is not None else []
    for name in wanted:
        if name not in header:
            raise unknown_name(f"{where}, header (row 1)", "column", name, header)
    if categorical & numeric:
        raise bad_value(where, "numeric", "free of the columns listed in categorical", sorted(categorical & numeric))
    if target in drop:
        raise bad_value(where, "drop", f"a list without the target {target!r}", sorted(drop))
    if reuse is not None and target is not None and target != reuse.get("target"):
        raise bad_value(where, "target", f"None or the reused report's target {reuse.get('target')!r}", target)
    if reuse is not None and (categorical or numeric or drop):
        raise bad_value(where, "categorical, numeric and drop", "left out when reuse= is given (the report decides "
                        "the columns)", sorted(categorical | numeric | drop))
    missing = set(missing_values)
    cells = {name: [row[index].strip() for row in rows] for index, name in enumerate(header)}
    if reuse is not None:
        columns = [dict(column, missing=sum(value in missing for value in cells[column["name"]]))
                   for column in reuse["columns"]]
    else:
        columns = [_fit_column(name, cells[name], missing, name in categorical, name in numeric,
                               max_categories, lines, where)
                   for name in header if name != target and name not in drop]
    x = numpy.column_stack([_encode(column, cells[column["name"]], missing, lines, where) for column in columns]
                           or [numpy.zeros((len(rows), 0))]).astype(backend.floatx())
    report = CsvReport(path=os.fspath(path), rows=len(rows), target=target, columns=columns,
                       dropped=[name for name in header if name != target and name not in
                                {column["name"] for column in columns}],
                       features=[feature for column in columns for feature in _feature_names(column)])
    y = None
    if target is not None:
        y, classes = _target(target, cells[target], missing, target in categorical, target in numeric,
                             reuse, lines, where)
        report.update(target_kind="numeric" if classes is None else "categorical", classes=classes)
    return x, y, report


class CsvReport(dict):
    """The choices load_csv made, as a plain dict; `print(report)` shows them as a short summary."""

    def __str__(self):
        lines = [f"load_csv: {self['path']}, {self['rows']} rows, target {self['target']!r}"]
        if self.get("target_kind") == "categorical":
            lines[0] += f" (classes {', '.join(self['classes'])} -> 0..{len(self['classes']) - 1})"
        elif self.get("target_kind") == "numeric":
            lines[0] += " (numeric)"
        numbers = [column["name"] for column in self["columns"] if column["kind"] == "numeric"]
        lines.append(f"  numeric: {', '.join(numbers) or '-'}")
        for column in self["columns"]:
            if column["kind"] == "categorical":
                lines.append(f"  one-hot: {column['name']} -> {', '.join(column['categories'])}")
        for column in self["columns"]:
            if column["missing"]:
                how = "median" if column["kind"] == "numeric" else "most frequent"
                lines.append(f"  filled: {column['name']}: {column['missing']} missing -> {how} {column['fill']!r}")
        lines.append(f"  dropped: {', '.join(self['dropped']) or '-'}")
        lines.append(f"  features ({len(self['features'])}): {', '.join(self['features'])}")
        return "\n".join(lines)


def _read_rows(path, delimiter, where):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, None)
        if not header or not any(name.strip() for name in header):
            raise bad_value(where, "path", "a CSV file with a header row", os.fspath(path), fix="It is empty.")
        header = [name.strip() for name in header]
        repeated = sorted(name for name, count in collections.Counter(header).items() if count > 1)
        if repeated:
            raise bad_value(where, "header (row 1)", "unique column names", repeated)
        rows, lines = [], []
        for row in reader:
            if not row or not any(field.strip() for field in row):
                continue  # blank lines carry no sample
            if len(row) != len(header):
                raise bad_value(f"{where} at row {len(rows) + 2} (line {reader.line_num})", "number of fields",
                                f"{len(header)}, one per column of the header", len(row))
            rows.append(row)
            lines.append(reader.line_num)
    if not rows:
        raise bad_value(where, "path", "a CSV file with at least one data row", os.fspath(path))
    return header, rows, lines


def _fit_column(name, values, missing, is_categorical, is_numeric, max_categories, lines, where):
    present = [(index, value) for index, value in enumerate(values) if value not in missing]
    if not present:
        raise bad_value(f"{where}, column {name!r}", "number of present values", "at least 1", 0,
                        fix=f"Every row is missing; drop it (drop=[{name!r}]).")
    numbers = [_number(value) for _, value in present]
    texts = [(index, value) for (index, value), number in zip(present, numbers) if number is None]
    if is_numeric or (not is_categorical and not texts):
        _check_numbers(name, texts, lines, where)
        return {"name": name, "kind": "numeric", "fill": float(statistics.median(numbers)),
                "missing": len(values) - len(present)}
    if not is_categorical and len(texts) < len(present):
        index, value = texts[0]
        raise bad_value(_cell(where, name, index, lines), "value", "a number, like the column's other values", value,
                        fix="Fix that cell, list the column in categorical= to one-hot encode it, or drop it.")
    counts = collections.Counter(value for _, value in present)
    if not is_categorical and len(counts) > max_categories:
        index, value = present[0]
        raise bad_value(f"{where}, column {name!r}", "number of distinct values", f"at most max_categories="
                        f"{max_categories}", len(counts), fix=f"Its row {index + 2} holds {value!r}. Drop it "
                        f"(drop=[{name!r}]) or list it in categorical= to one-hot encode it anyway.")
    fill = min(counts, key=lambda value: (-counts[value], value))
    return {"name": name, "kind": "categorical", "categories": sorted(counts), "fill": fill,
            "missing": len(values) - len(present)}


def _encode(column, values, missing, lines, where):
    filled = [column["fill"] if value in missing else value for value in values]
    if column["kind"] == "numeric":
        numbers = [_number(value) if isinstance(value, str) else value for value in filled]
        _check_numbers(column["name"], [(index, value) for index, (value, number) in enumerate(zip(filled, numbers))
                                        if number is None], lines, where)
        return numpy.array(numbers, dtype=numpy.float64)[:, None]
    position = {category: index for index, category in enumerate(column["categories"])}
    for index, value in enumerate(filled):
        if value not in position:
            raise bad_value(_cell(where, column["name"], index, lines), "value",
                            f"one of the categories it was fitted on {column['categories']}", value)
    return numpy.eye(len(position))[[position[value] for value in filled]]


def _target(name, values, missing, is_categorical, is_numeric, reuse, lines, where):
    for index, value in enumerate(values):
        if value in missing:
            raise bad_value(_cell(where, name, index, lines), "target value",
                            "present (the target is never filled in)", value)
    classes = reuse.get("classes") if reuse is not None else None
    if reuse is None and not is_numeric:
        column = _fit_column(name, values, missing, is_categorical, False, math.inf, lines, where)
        classes = column.get("categories")
    if classes is None:
        numbers = [_number(value) for value in values]
        _check_numbers(name, [(index, value) for index, (value, number) in enumerate(zip(values, numbers))
                              if number is None], lines, where)
        whole = all(number.is_integer() for number in numbers)
        return numpy.array(numbers, dtype=numpy.int64 if whole else numpy.float64), None
    index_of = {label: index for index, label in enumerate(classes)}
    for index, value in enumerate(values):
        if value not in index_of:
            raise bad_value(_cell(where, name, index, lines), "target value", f"one of the classes {classes}", value)
    return numpy.array([index_of[value] for value in values], dtype=numpy.int64), list(classes)


def _check_numbers(name, texts, lines, where):
    if texts:
        index, value = texts[0]
        raise bad_value(_cell(where, name, index, lines), "value", "a finite number", value)


def _cell(where, name, index, lines):
    """'load_csv(file) at row R (line L), column 'name'': R counts the header as row 1, L is the file line."""
    return f"{where} at row {index + 2} (line {lines[index]}), column {name!r}"


def _number(text):
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _feature_names(column):
    if column["kind"] == "numeric":
        return [column["name"]]
    return [f"{column['name']}={category}" for category in column["categories"]]


def _names(where, argument, value):
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(isinstance(item, str) for item in value):
        raise bad_type(where, argument, "a column name or a list of column names", value)
    return set(value)
