"""The text of `model.summary()`, laid out as Keras 3 prints it."""
from trainwell import backend

_COLUMNS = (("Layer (type)", 0.45), ("Output Shape", 0.80), ("Param #", 1.0))


def format_summary(model, line_length=None):
    """Rows 'name (Type) | output shape | params' and the total / trainable / non-trainable counts."""
    width = line_length or 88
    stops = [int(width * fraction) for _, fraction in _COLUMNS]
    sizes = [stops[0] - 1, stops[1] - stops[0] - 1, stops[2] - stops[1] - 1]
    rows = []
    shape = (None,) + tuple(model._input_shape) if getattr(model, "_input_shape", None) else None
    for layer in model.layers:
        if shape is not None and layer.built:
            shape = layer.compute_output_shape(shape)
            shape_text = str(shape).replace(",)", ")")
        else:
            shape_text = "?"
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        rows.append((f"{layer.name} ({type(layer).__name__})", shape_text, params))
    lines = [f'Model: "{model.name}"', _rule("┏", "┳", "┓", "━", sizes),
             _row([title for title, _ in _COLUMNS], sizes, "┃"), _rule("┡", "╇", "┩", "━", sizes)]
    for index, row in enumerate(rows):
        lines.append(_row(row, sizes, "│"))
        lines.append(_rule("├", "┼", "┤", "─", sizes) if index < len(rows) - 1 else _rule("└", "┴", "┘", "─", sizes))
    trainable = sum(v.size for v in model.trainable_weights) if model.built else 0
    total = sum(v.size for v in model.weights) if model.built else 0
    itemsize = backend.xp.dtype(backend.floatx()).itemsize
    lines += [f" Total params: {total:,} ({_bytes(total * itemsize)})",
              f" Trainable params: {trainable:,} ({_bytes(trainable * itemsize)})",
              f" Non-trainable params: {total - trainable:,} ({_bytes((total - trainable) * itemsize)})"]
    return "\n".join(lines)


def _rule(left, middle, right, fill, sizes):
    return left + middle.join(fill * size for size in sizes) + right


def _row(cells, sizes, bar):
    """One table row; a cell longer than its column wraps onto more lines, as Keras's table does."""
    pieces = [[text[i:i + size - 2] for i in range(0, max(len(text), 1), size - 2)]
              for text, size in zip((str(c) for c in cells), sizes)]
    height = max(len(p) for p in pieces)
    lines = []
    for line in range(height):
        name, shape, params = (p[line] if line < len(p) else "" for p in pieces)
        lines.append(f"{bar} {name:<{sizes[0] - 2}} {bar} {shape:<{sizes[1] - 2}} {bar} {params:>{sizes[2] - 2}} {bar}")
    return "\n".join(lines)


def _bytes(count):
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.2f} {unit}"
        count /= 1024
    return f"{count:.2f} GB"
