"""One template for every error message: who was called, which argument, what was expected, what came."""
import math
import numbers


def describe(value):
    """A short, readable rendering of a received value (arrays by shape and dtype)."""
    shape = getattr(value, "shape", None)
    if shape is not None and getattr(value, "ndim", 0) > 0:
        return f"an array of shape {tuple(shape)} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def bad_value(where, argument, expected, value, fix=None):
    """A ValueError reading '<where>: <argument> must be <expected>; got <argument>=<value>.'"""
    message = f"{where}: {argument} must be {expected}; got {argument}={describe(value)}."
    if fix:
        message += f" {fix}"
    return ValueError(message)


def bad_type(where, argument, expected, value, fix=None):
    """A TypeError in the same template, naming the type that came."""
    message = (
        f"{where}: {argument} must be {expected}; got {argument}={describe(value)} "
        f"of type {type(value).__name__}."
    )
    if fix:
        message += f" {fix}"
    return TypeError(message)


def check_choice(where, argument, value, choices):
    """Raise unless `value` is one of `choices`; the message lists them sorted."""
    if value not in choices:
        options = ", ".join(repr(choice) for choice in sorted(choices))
        raise bad_value(where, argument, f"one of {options}", value)
    return value


def unknown_name(where, kind, name, names):
    """The error for an unknown string name: lists the valid ones, sorted."""
    options = ", ".join(sorted(names))
    return ValueError(f"{where}: unknown {kind} {name!r}. Valid names: {options}.")


def check_number(where, argument, value, low=None, high=None, low_open=False, high_open=False,
                 integer=False, allow_none=False):
    """Check a real (or integer) number lies in [low, high] (open ends when asked); return it."""
    if value is None and allow_none:
        return value
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral if integer else numbers.Real):
        raise bad_type(where, argument, kind, value)
    if not math.isfinite(value):
        raise bad_value(where, argument, f"a finite {kind[2:] if integer else 'number'}", value)
    if low is not None and (value < low or (low_open and value == low)):
        raise bad_value(where, argument, _range_text(kind, low, high, low_open, high_open), value)
    if high is not None and (value > high or (high_open and value == high)):
        raise bad_value(where, argument, _range_text(kind, low, high, low_open, high_open), value)
    return value


def _range_text(kind, low, high, low_open, high_open):
    if high is None:
        return f"{kind} {'>' if low_open else '>='} {low}"
    if low is None:
        return f"{kind} {'<' if high_open else '<='} {high}"
    return f"{kind} in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
