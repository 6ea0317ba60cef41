"""Pooling of channels-last images: max and average over windows, and over the whole image (global)."""
from trainwell import backend, compiled
from trainwell.compiled import loop, prange
from trainwell.layers._windows import (Window, check_data_format, check_images, check_padding, normalize_pair,
                                       output_size)
from trainwell.layers.base import REGISTRY, Layer


class _Pooling2D(Layer):
    """Shared arguments, shapes and config of the windowed pooling layers (each channel pooled alone).

    pool_size=(2, 2) (int or pair); strides=None (= pool_size: windows side by side); padding='valid'
    (windows inside the image) or 'same' (out = ⌈in/s⌉, the odd extra row/column at the bottom/right);
    data_format=None (channels_last). Input (N, H, W, C) -> output (N, out_h, out_w, C).
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        where = type(self).__name__
        self.pool_size = normalize_pair(where, "pool_size", pool_size)
        self.strides = normalize_pair(where, "strides", strides, allow_none=True) or self.pool_size
        self.padding = check_padding(where, padding)
        self.data_format = check_data_format(where, data_format)
        super().__init__(**kwargs)
        self._window = self._kept = None

    def build(self, input_shape):
        check_images(self, input_shape)

    def compute_output_shape(self, input_shape):
        size = output_size(self.name, input_shape, self.pool_size, self.strides, (1, 1), self.padding)
        return (input_shape[0], *size, input_shape[3])

    def _window_for(self, inputs):
        return Window(self.name, inputs.shape, self.pool_size, self.strides, (1, 1), self.padding)

    def release(self):
        self._window = self._kept = None
        super().release()

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": self.data_format}


@REGISTRY.register()
class MaxPooling2D(_Pooling2D):
    """The largest value of each window, per channel: y[n, p, q, c] = max_{i, j} x[n, p·sh + i, q·sw + j, c].

    'same' padding pads with −∞, so padded cells never win. The gradient goes to the window's
    maximum; when several cells tie, the first in row-major window order gets all of it (as PyTorch
    routes it). Overlapping windows (strides < pool_size) add up their gradients on a shared cell.
    Defaults: pool_size=(2, 2), strides=None (= pool_size), padding='valid'.
    Example: `MaxPooling2D()` halves the height and width; `MaxPooling2D(3, strides=2, padding="same")`.
    """

    def call(self, inputs, training=None):
        xp = backend.xp
        window = self._window_for(inputs)
        padded = window.pad(inputs, -xp.inf)
        offsets = list(window.offsets())
        if backend.backward_enabled():
            # One contiguous slab per window offset: the backward compares them with the maximum cheaply.
            slabs = xp.empty((len(offsets), inputs.shape[0], *window.output_size, inputs.shape[3]),
                             dtype=inputs.dtype)
            for index, cells in offsets:
                slabs[index] = padded[(slice(None), *cells)]
            outputs = slabs.max(axis=0)
            self._window, self._kept = window, (slabs, outputs)
            return outputs
        outputs = padded[(slice(None), *offsets[0][1])].copy()
        for _, cells in offsets[1:]:
            xp.maximum(outputs, padded[(slice(None), *cells)], out=outputs)
        return outputs

    def backward(self, grad):
        xp = backend.xp
        window, (slabs, outputs) = self._window, self._kept
        self._window = self._kept = None
        if not self._input_grad_needed:
            return None
        dpadded = window.gradient_buffer(grad)
        contiguous_grad = xp.ascontiguousarray(grad)
        if compiled.takes(contiguous_grad, slabs, outputs, dpadded):
            first = xp.empty(outputs.shape, dtype=xp.int32)  # the offset that routes each window's gradient
            _first_maximum_loop(slabs.reshape(len(slabs), len(outputs), -1), outputs.reshape(len(outputs), -1),
                                first.reshape(len(outputs), -1))
            _max_pool_backward_loop(contiguous_grad, first, dpadded, len(slabs), window.size[1], *window.strides,
                                    window.disjoint)
            return window.crop(dpadded)
        found = None  # windows whose maximum an earlier offset holds: later ties get nothing
        for index, cells in window.offsets():
            holds = slabs[index] == outputs  # this offset holds its window's maximum
            if found is None:
                first, found = holds, holds.copy()
            else:
                first = xp.greater(holds, found)  # holds and not found (booleans)
                xp.logical_or(found, holds, out=found)
            target = dpadded[(slice(None), *cells)]
            if window.disjoint:
                xp.multiply(grad, first, out=target)  # dx = dy at the first maximum, 0 elsewhere
            else:
                target += grad * first  # overlapping windows add up on a shared cell
        return window.crop(dpadded)


@REGISTRY.register()
class AveragePooling2D(_Pooling2D):
    """The mean of each window, per channel: y[n, p, q, c] = (1/m)·Σ_{i, j} x[n, p·sh + i, q·sw + j, c].

    m counts the window's real pixels: with padding='same', padded cells are left out of the mean
    (as Keras/TensorFlow; PyTorch's AvgPool2d counts them, count_include_pad=True). The gradient
    spreads dy/m over the window's pixels. Defaults: pool_size=(2, 2), strides=None (= pool_size),
    padding='valid'. Example: `AveragePooling2D(pool_size=2)`.
    """

    def call(self, inputs, training=None):
        xp = backend.xp
        window = self._window_for(inputs)
        padded = window.pad(inputs, 0.0)
        outputs = xp.zeros((inputs.shape[0], *window.output_size, inputs.shape[3]), dtype=inputs.dtype)
        for _, cells in window.offsets():
            outputs += padded[(slice(None), *cells)]
        scale = self._inverse_counts(window, inputs.dtype)
        outputs *= scale  # y = Σ x / m
        if backend.backward_enabled():
            self._window, self._kept = window, scale
        return outputs

    def backward(self, grad):
        window, scale = self._window, self._kept
        self._window = self._kept = None
        if not self._input_grad_needed:
            return None
        share = grad * scale  # dy/m, given to every pixel of the window
        dpadded = window.gradient_buffer(grad)
        for _, cells in window.offsets():
            if window.disjoint:
                dpadded[(slice(None), *cells)] = share
            else:
                dpadded[(slice(None), *cells)] += share  # overlapping windows add up
        return window.crop(dpadded)

    @staticmethod
    def _inverse_counts(window, dtype):
        """1/m per output cell, shape (oh, ow, 1), or a scalar when no window touches the padding."""
        xp = backend.xp
        if not window.padded:
            return 1.0 / (window.size[0] * window.size[1])
        real = window.pad(xp.ones((1, *window.input_size, 1), dtype=dtype), 0.0)
        counts = xp.zeros((1, *window.output_size, 1), dtype=dtype)
        for _, cells in window.offsets():
            counts += real[(slice(None), *cells)]
        return 1.0 / counts[0]


class _GlobalPooling2D(Layer):
    """Shared arguments of the global pools: data_format=None (channels_last); keepdims=False
    ((N, C) outputs; True keeps (N, 1, 1, C))."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        self.data_format = check_data_format(type(self).__name__, data_format)
        self.keepdims = bool(keepdims)
        super().__init__(**kwargs)
        self._kept = None

    def build(self, input_shape):
        check_images(self, input_shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1, 1, input_shape[3]) if self.keepdims else (input_shape[0], input_shape[3])

    def release(self):
        self._kept = None
        super().release()

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


@REGISTRY.register()
class GlobalAveragePooling2D(_GlobalPooling2D):
    """The mean of each channel over the whole image: y[n, c] = (1/(H·W))·Σ_{h, w} x[n, h, w, c].

    Gradient: dx[n, h, w, c] = dy[n, c]/(H·W). Defaults: data_format=None, keepdims=False.
    PyTorch writes it `nn.AdaptiveAvgPool2d(1)` followed by a flatten.
    Example: `GlobalAveragePooling2D()` before the classifier's Dense layer.
    """

    def call(self, inputs, training=None):
        outputs = inputs.mean(axis=(1, 2), keepdims=self.keepdims)
        if backend.backward_enabled():
            self._kept = inputs.shape
        return outputs

    def backward(self, grad):
        xp = backend.xp
        shape, self._kept = self._kept, None
        if not self._input_grad_needed:
            return None
        share = grad.reshape(shape[0], 1, 1, shape[3]) * (1.0 / (shape[1] * shape[2]))
        return xp.broadcast_to(share, shape).copy()  # dx = dy/(H·W) at every pixel


@REGISTRY.register()
class GlobalMaxPooling2D(_GlobalPooling2D):
    """The largest value of each channel over the whole image: y[n, c] = max_{h, w} x[n, h, w, c].

    The gradient goes to the maximum; on ties, to the first in row-major (h, w) order. Defaults:
    data_format=None, keepdims=False. PyTorch: `nn.AdaptiveMaxPool2d(1)` and a flatten.
    Example: `GlobalMaxPooling2D()`.
    """

    def call(self, inputs, training=None):
        if backend.backward_enabled():
            self._kept = (inputs.shape, inputs.reshape(inputs.shape[0], -1, inputs.shape[3]).argmax(axis=1))
        return inputs.max(axis=(1, 2), keepdims=self.keepdims)

    def backward(self, grad):
        xp = backend.xp
        (shape, winner), self._kept = self._kept, None
        if not self._input_grad_needed:
            return None
        cells = xp.arange(shape[1] * shape[2]).reshape(1, -1, 1)
        dx = xp.where(cells == winner[:, None, :], grad.reshape(shape[0], 1, shape[3]), 0)  # dy at the argmax
        return dx.reshape(shape)


@loop
def _first_maximum_loop(slabs, outputs, first):
    """first[n, m] = the first offset k with slabs[k, n, m] == outputs[n, m] (cells m of image n)."""
    count, batch, cells = slabs.shape
    for n in prange(batch):
        for m in range(cells):
            first[n, m] = count
        for k in range(count - 1, -1, -1):  # the last offset to claim a window is its first holder
            for m in range(cells):
                first[n, m] = k if slabs[k, n, m] == outputs[n, m] else first[n, m]


@loop
def _max_pool_backward_loop(grad, first, dpadded, count, kw, sh, sw, disjoint):
    """`MaxPooling2D.backward` entry by entry: offset by offset, as the NumPy path goes, dy written
    (or added, where windows overlap) on the cell of the window's first maximum, 0 elsewhere."""
    batch, oh, ow, channels = grad.shape
    for n in prange(batch):
        for k in range(count):
            for p in range(oh):
                for q in range(ow):
                    row, col = p * sh + k // kw, q * sw + k % kw
                    for c in range(channels):
                        routed = grad[n, p, q, c] * (first[n, p, q, c] == k)
                        if disjoint:
                            dpadded[n, row, col, c] = routed
                        else:
                            dpadded[n, row, col, c] += routed
