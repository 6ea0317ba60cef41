"""Conv2D: 2-D convolution of channels-last images as one patch matrix (im2col) times the kernel."""
from trainwell import backend
from trainwell._errors import check_number
from trainwell.layers._windows import (Window, check_data_format, check_images, check_padding, normalize_pair,
                                       output_size)
from trainwell.layers.affine import AffineLayer
from trainwell.layers.base import REGISTRY

ROW_BLOCK = 4096  # rows per block of the weight-gradient product (see _transposed_product)


@REGISTRY.register()
class Conv2D(AffineLayer):
    """2-D convolution (a cross-correlation, as in every deep-learning library) of (N, H, W, C) images:

        z[n, p, q, f] = Σ_{i, j, c} x_pad[n, p·sh + i·dh, q·sw + j·dw, c] · kernel[i, j, c, f] + bias[f]
        outputs = activation(z)

    computed as one matrix product Z = P·K + b, where P (the patch matrix, im2col) holds one row per
    output pixel with its receptive field flattened in (i, j, c) order and K is the kernel reshaped
    to (kh·kw·C, filters). Backward: dK = Pᵀ·dZ, db = Σ_rows dZ, and dP = dZ·Kᵀ folded back onto the
    pixels (col2im: each pixel gets the sum over the windows that read it). While training, the layer
    keeps P for its backward: kh·kw times the input's size (the price of one matrix product).

    Arguments: filters (positive int); kernel_size (int or (kh, kw)); strides=(1, 1);
    padding='valid' (no padding: out = ⌊(in − k_eff)/s⌋ + 1, k_eff = (k − 1)·d + 1) or 'same'
    (out = ⌈in/s⌉, zero padding, the odd extra row/column at the bottom/right, as Keras);
    data_format=None (channels_last, the only layout); dilation_rate=(1, 1); activation=None
    (linear); use_bias=True; kernel_initializer='glorot_uniform' (fan_in = kh·kw·C, fan_out =
    kh·kw·filters); bias_initializer='zeros'; kernel_regularizer=None, bias_regularizer=None,
    activity_regularizer=None, kernel_constraint=None, bias_constraint=None (as Dense; max-norm on
    conv filters is `max_norm(3.0, axis=[0, 1, 2])`). Kernel shape (kh, kw, C, filters), as Keras.
    Input (N, H, W, C) -> output (N, out_h, out_w, filters).

    Differs from PyTorch's Conv2d: images are (N, C, H, W) and the kernel (filters, C, kh, kw)
    there; its default init is kaiming_uniform(a=√5) with a uniform bias, not Glorot and zeros; its
    padding='same' pads the extra row at the bottom too but only works with stride 1. Keras refuses
    strides > 1 together with dilation_rate > 1; trainwell computes that case (as PyTorch does).
    Keras's groups= (grouped convolution) is not supported.
    Example: `Conv2D(32, 3, padding="same", activation="relu")`.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        self.filters = check_number("Conv2D", "filters", filters, low=1, integer=True)
        self.kernel_size = normalize_pair("Conv2D", "kernel_size", kernel_size)
        self.strides = normalize_pair("Conv2D", "strides", strides)
        self.padding = check_padding("Conv2D", padding)
        self.data_format = check_data_format("Conv2D", data_format)
        self.dilation_rate = normalize_pair("Conv2D", "dilation_rate", dilation_rate)
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def build(self, input_shape):
        check_images(self, input_shape)
        self.add_kernel_and_bias((*self.kernel_size, input_shape[3], self.filters))

    def compute_output_shape(self, input_shape):
        size = output_size(self.name, input_shape, self.kernel_size, self.strides, self.dilation_rate, self.padding)
        return (input_shape[0], *size, self.filters)

    def call(self, inputs, training=None):
        window = Window(self.name, inputs.shape, self.kernel_size, self.strides, self.dilation_rate, self.padding)
        patches = window.patches(window.pad(inputs))  # P: (N·oh·ow, kh·kw·C)
        z = patches @ self.kernel.value.reshape(-1, self.filters)  # Z = P·K
        batch, (height, width) = inputs.shape[0], window.output_size
        if self.use_bias:
            rows = z.reshape(batch * height, width * self.filters)  # a view of z: one image row per row
            rows += backend.xp.tile(self.bias.value, width)  # + b; rows of only `filters` values add slowly
        z = z.reshape(batch, height, width, self.filters)  # a view of the product: ours, so relu may run in place
        if backend.backward_enabled():
            self._window, self._patches = window, patches
        return self.activate(z)

    def backward_pre_activation(self, dz):
        """The backward pass from the gradient w.r.t. z = conv(inputs, kernel) + bias (the fused loss path)."""
        xp = backend.xp
        window, patches = self._window, self._patches
        self._forget()
        dz2 = dz.reshape(-1, self.filters)  # dZ: one row per output pixel
        if self.kernel.grad is not None:
            _transposed_product(patches, dz2, out=self.kernel.grad.reshape(-1, self.filters))  # dK = Pᵀ·dZ
        if self.use_bias and self.bias.grad is not None:
            xp.matmul(xp.ones(dz2.shape[0], dtype=dz2.dtype), dz2, out=self.bias.grad)  # db = Σ_rows dZ
        if not self._input_grad_needed:
            return None
        dpatches = dz2 @ self.kernel.value.reshape(-1, self.filters).T  # dP = dZ·Kᵀ
        return window.crop(window.fold(dpatches))

    def _forget(self):
        self._window = self._patches = None
        super()._forget()

    def own_config(self):
        return {"filters": self.filters, "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": list(self.dilation_rate)}


def _transposed_product(a, b, out):
    """out = aᵀ·b for tall a (M, K) and b (M, F), summed over blocks of ROW_BLOCK rows when M is long.

    OpenBLAS runs a product whose inner dimension M is tens of thousands long and whose (K, F)
    output is tiny (the first layer's dK: 25 × 50,176 × 6) on one thread at a fraction of its speed;
    blocks of rows run it about twice as fast on one core, and faster still on two.
    """
    xp = backend.xp
    rows = a.shape[0]
    if rows < 4 * ROW_BLOCK:
        return xp.matmul(a.T, b, out=out)
    xp.matmul(a[:ROW_BLOCK].T, b[:ROW_BLOCK], out=out)
    for start in range(ROW_BLOCK, rows, ROW_BLOCK):
        out += a[start:start + ROW_BLOCK].T @ b[start:start + ROW_BLOCK]
    return out
