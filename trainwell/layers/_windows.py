"""Sliding windows over channels-last images: output size, padding, patch matrix (im2col) and its adjoint."""
import numbers

from trainwell import backend, compiled
from trainwell._errors import bad_type, bad_value, check_choice
from trainwell.compiled import loop, prange

PADDINGS = ("same", "valid")
# Below this many channels the patch matrix is built transposed (see Window.patches).
FEW_CHANNELS = 4


class Window:
    """Where a (kh, kw) window, dilated by (dh, dw) and moved by strides (sh, sw), lands on (H, W) images.

    Per spatial axis, with the effective window k_eff = (k − 1)·d + 1:

        'valid': out = ⌊(in − k_eff)/s⌋ + 1, no padding (k_eff <= in is required);
        'same':  out = ⌈in/s⌉, padded by p = max((out − 1)·s + k_eff − in, 0) in all,
                 ⌊p/2⌋ before (top/left) and the rest after (bottom/right), as Keras and TensorFlow do.

    Output cell (y, x) reads padded cells (y·sh + i·dh, x·sw + j·dw) for the window offsets (i, j).
    `offsets()` walks those offsets (pooling is a loop of kh·kw vectorized strided operations),
    `windows()` is the strided view of all windows at once, `patches()` its copy as a matrix (im2col)
    and `fold()` the adjoint of that copy (col2im); none loops over pixels or samples.
    """

    def __init__(self, where, input_shape, size, strides, dilation=(1, 1), padding="valid"):
        height, width = input_shape[1], input_shape[2]
        self.size, self.strides, self.dilation = size, strides, dilation
        self.input_size = (height, width)
        extent = tuple((k - 1) * d + 1 for k, d in zip(size, dilation))
        if padding == "valid":
            if extent[0] > height or extent[1] > width:
                dilated = f" (dilated to {extent})" if extent != tuple(size) else ""
                raise ValueError(f"{where}: the window {tuple(size)}{dilated} is larger than the input image "
                                 f"{(height, width)} of inputs of shape {tuple(input_shape)} with padding='valid'. "
                                 "Use a smaller kernel_size/pool_size or padding='same'.")
            self.output_size = tuple((n - e) // s + 1 for n, e, s in zip(self.input_size, extent, strides))
            self.pads = ((0, 0), (0, 0))
        else:
            self.output_size = tuple(-(-n // s) for n, s in zip(self.input_size, strides))
            totals = [max((o - 1) * s + e - n, 0)
                      for o, s, e, n in zip(self.output_size, strides, extent, self.input_size)]
            self.pads = tuple((total // 2, total - total // 2) for total in totals)
        self.padded_size = tuple(n + before + after for n, (before, after) in zip(self.input_size, self.pads))

    @property
    def padded(self):
        return self.pads != ((0, 0), (0, 0))

    def pad(self, x, value=0.0):
        """`x` (N, H, W, C) surrounded by `value` as the padding says; `x` itself when no padding is needed."""
        if not self.padded:
            return x
        (top, _), (left, _) = self.pads
        padded = backend.xp.full((x.shape[0], *self.padded_size, x.shape[3]), value, dtype=x.dtype)
        padded[:, top:top + x.shape[1], left:left + x.shape[2], :] = x
        return padded

    def crop(self, padded):
        """The inverse of `pad` for gradients: the cells of a padded-size array that are real pixels."""
        if not self.padded:
            return padded
        (top, _), (left, _) = self.pads
        height, width = self.input_size
        return padded[:, top:top + height, left:left + width, :]

    def offsets(self):
        """(index, (rows, cols)) per window offset (i, j) in row-major order: the padded cells it reads."""
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = self.size, self.strides, self.dilation, self.output_size
        for i in range(kh):
            for j in range(kw):
                yield i * kw + j, (slice(i * dh, i * dh + (oh - 1) * sh + 1, sh),
                                   slice(j * dw, j * dw + (ow - 1) * sw + 1, sw))

    @property
    def disjoint(self):
        """True when no two windows share a cell (strides >= window extent), so gradients can be assigned."""
        return all(s >= (k - 1) * d + 1 for k, s, d in zip(self.size, self.strides, self.dilation))

    def gradient_buffer(self, grad):
        """An array of the padded input's shape for a gradient, zeroed unless the windows tile it exactly
        (strides = window, no overhang), when the per-offset assignments below will write every cell."""
        xp = backend.xp
        shape = (grad.shape[0], *self.padded_size, grad.shape[3])
        tiles = self.dilation == (1, 1) and all(
            s == k and n == o * k for s, k, n, o in zip(self.strides, self.size, self.padded_size, self.output_size))
        return xp.empty(shape, dtype=grad.dtype) if tiles else xp.zeros(shape, dtype=grad.dtype)

    def patches(self, padded):
        """The patch matrix P (im2col) of padded images: shape (N·oh·ow, kh·kw·C), row = one output cell's
        receptive field in (i, j, c) order, matching a kernel (kh, kw, C, filters) reshaped to 2-D."""
        (kh, kw), (oh, ow) = self.size, self.output_size
        batch, channels = padded.shape[0], padded.shape[3]
        windows = self.windows(padded)  # (N, oh, ow, kh, kw, C), a view
        if channels < FEW_CHANNELS:
            # Few channels: copy runs of ow values (image rows) into Pᵀ and hand back its transpose (a view;
            # BLAS reads either order). Copying runs of C values would be several times slower.
            return windows.transpose(3, 4, 5, 0, 1, 2).reshape(kh * kw * channels, batch * oh * ow).T
        # The reshape is the one copy; a window row's kw·C values are adjacent in memory when undilated.
        return windows.reshape(batch * oh * ow, kh * kw * channels)

    def fold(self, columns):
        """The adjoint of `patches` (col2im): each entry of `columns` (N·oh·ow, kh·kw·C) added back onto the
        padded cell it was read from. Returns the gradient w.r.t. the padded images (N, H_pad, W_pad, C).

        Windows of outputs q = ⌈k_eff/s⌉ apart share no cell, so each class of outputs with the same
        (y mod q_h, x mod q_w) is added in one vectorized step: q_h·q_w steps (kh·kw for an undilated
        stride-1 kernel, one when windows do not overlap), never a loop over pixels or samples.
        """
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = self.size, self.strides, self.dilation, self.output_size
        channels = columns.shape[1] // (kh * kw)
        padded = backend.xp.zeros((columns.shape[0] // (oh * ow), *self.padded_size, channels), dtype=columns.dtype)
        windows = self.windows(padded)  # writable: each class below touches every cell at most once
        blocks = columns.reshape(windows.shape)
        step_h, step_w = -(-((kh - 1) * dh + 1) // sh), -(-((kw - 1) * dw + 1) // sw)
        if compiled.takes(columns):
            # the same additions in the same order per cell, one image per thread at a time
            _fold_loop(blocks, padded, sh, sw, dh, dw, step_h, step_w)
            return padded
        for y in range(min(step_h, oh)):
            for x in range(min(step_w, ow)):
                windows[:, y::step_h, x::step_w] += blocks[:, y::step_h, x::step_w]
        return padded

    def windows(self, padded):
        """The view (N, oh, ow, kh, kw, C) of every output cell's window into `padded` (shared memory)."""
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = self.size, self.strides, self.dilation, self.output_size
        batch_step, row_step, col_step, channel_step = padded.strides
        return backend.xp.lib.stride_tricks.as_strided(
            padded, shape=(padded.shape[0], oh, ow, kh, kw, padded.shape[3]),
            strides=(batch_step, row_step * sh, col_step * sw, row_step * dh, col_step * dw, channel_step))


@loop
def _fold_loop(blocks, padded, sh, sw, dh, dw, step_h, step_w):
    """`Window.fold` entry by entry: blocks (N, oh, ow, kh, kw, C) added onto padded (N, H, W, C), class
    by class of outputs (y mod step_h, x mod step_w) as the NumPy path adds them."""
    batch, oh, ow, kh, kw, channels = blocks.shape
    for n in prange(batch):
        for y0 in range(min(step_h, oh)):
            for x0 in range(min(step_w, ow)):
                for p in range(y0, oh, step_h):
                    for q in range(x0, ow, step_w):
                        for i in range(kh):
                            for j in range(kw):
                                row, col = p * sh + i * dh, q * sw + j * dw
                                for c in range(channels):
                                    padded[n, row, col, c] += blocks[n, p, q, i, j, c]


def normalize_pair(where, argument, value, allow_none=False):
    """An int n or a pair of ints, all >= 1, as a tuple (rows, cols); None passes when allowed."""
    if value is None and allow_none:
        return None
    pair = (value, value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value
    if isinstance(pair, (str, bytes)) or not hasattr(pair, "__iter__"):
        raise bad_type(where, argument, "an integer or a tuple of 2 integers", value)
    pair = tuple(pair)
    if len(pair) != 2 or any(isinstance(n, bool) or not isinstance(n, numbers.Integral) for n in pair):
        raise bad_value(where, argument, "an integer or a tuple of 2 integers", value)
    if min(pair) < 1:
        raise bad_value(where, argument, "positive (every entry >= 1)", value)
    return tuple(int(n) for n in pair)


def check_padding(where, padding):
    """'valid' or 'same', any letter case (as Keras); returns the lower-case name."""
    if not isinstance(padding, str):
        raise bad_type(where, "padding", "'same' or 'valid'", padding)
    return check_choice(where, "padding", padding.lower(), PADDINGS)


def check_data_format(where, data_format):
    """trainwell's image layers are channels-last; None means the same."""
    if data_format is None:
        return "channels_last"
    return check_choice(where, "data_format", data_format, ("channels_last",))


def check_images(layer, input_shape):
    """Refuse inputs that are not 4-D (N, H, W, C) or whose channel count is unknown."""
    if len(input_shape) != 4:
        raise ValueError(f"{layer.name}: expected 4-D inputs (batch, height, width, channels); "
                         f"got inputs of shape {tuple(input_shape)}. Add a channel axis, e.g. "
                         "x[..., None], or a Reshape layer.")
    if input_shape[3] is None:
        raise ValueError(f"{layer.name}: the channel axis of the input must be known; got shape "
                         f"{tuple(input_shape)}.")


def output_size(where, input_shape, size, strides, dilation, padding):
    """The (out_h, out_w) for `input_shape` (entries may be None), without building a Window."""
    if None in input_shape[1:3]:
        sizes = []
        for n, k, s, d in zip(input_shape[1:3], size, strides, dilation):
            if n is None:
                sizes.append(None)
            else:
                sizes.append(-(-n // s) if padding == "same" else (n - (k - 1) * d - 1) // s + 1)
        return tuple(sizes)
    return Window(where, input_shape, size, strides, dilation, padding).output_size

