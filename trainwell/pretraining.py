"""Unsupervised pretraining whose hidden layers then start a supervised model: greedy layer-wise
stacked autoencoders (Hinton & Salakhutdinov 2006; Bengio et al. 2007) and an auxiliary task whose
labels are made cheaply from the unlabeled data itself."""
from trainwell import backend, optimizers
from trainwell._errors import bad_type, bad_value, check_number
from trainwell.layers.core import Dense, InputLayer
from trainwell.models.cloning import clone_model
from trainwell.models.sequential import Sequential


class PretrainedStack:
    """What `greedy_layerwise_pretraining` returns.

    Attributes: `encoders` and `decoders` (the trained Dense layers, stage by stage), `histories`
    (each stage's History), `reconstruction_losses` (one dict per stage: 'before' and 'after'
    training, the stage's loss on its own inputs in inference mode, as `evaluate` reports it).
    """

    def __init__(self, encoders, decoders, histories, reconstruction_losses):
        self.encoders, self.decoders = encoders, decoders
        self.histories, self.reconstruction_losses = histories, reconstruction_losses

    def encoder_layers(self, copy=False):
        """The encoder layers, to stack under a new output layer and fine-tune.

        copy=False gives the trained layers themselves: a model built on them shares their weights
        (fine-tuning it changes `encoders`, as in Keras). copy=True gives new layers holding copies
        of the weights, so `encoders` stay as pretrained.
        """
        return _shared_or_copied(self.encoders, copy)

    def autoencoder(self):
        """The stacked autoencoder `encoder_1 ... encoder_k, decoder_k ... decoder_1` (shared layers)."""
        return Sequential(self.encoders + self.decoders[::-1])


def greedy_layerwise_pretraining(x, units, activation="relu", decoder_activation=None, loss="mse",
                                 optimizer="adam", epochs=10, batch_size=32, verbose=0):
    """Train a stack of autoencoders one hidden layer at a time; each stage learns to rebuild the
    codes of the stage before it.

        stage 1:  h_1 = encoder_1(x),        minimize loss(x, decoder_1(h_1))
        stage k:  h_k = encoder_k(h_{k-1}),  minimize loss(h_{k-1}, decoder_k(h_k))

    where h_{k-1} are the (fixed) codes of the trained stage k−1 in inference mode. Each stage is an
    ordinary `Sequential([Dense(units[k], activation), Dense(width of its input, decoder_activation)])`
    fitted with `fit(h, h)`; its reconstruction loss is evaluated before and after training.

    Arguments: x (unlabeled samples, (n, features)); units (hidden sizes, e.g. [100, 30]);
    activation="relu" (encoders); decoder_activation=None (linear; e.g. "sigmoid" for inputs in
    [0, 1] with loss "binary_crossentropy"); loss="mse"; decoder_activation and loss may also be
    lists with one entry per stage (inner stages rebuild codes, which need not lie in [0, 1]);
    optimizer="adam" (a name, a config or an instance; each stage gets a fresh copy); epochs=10;
    batch_size=32; verbose=0 (passed to fit). Returns a PretrainedStack.

    Example (HOML ch. 17):
        stack = greedy_layerwise_pretraining(x_unlabeled, [100, 30], activation="selu",
                                             decoder_activation=["sigmoid", "selu"],
                                             loss=["binary_crossentropy", "mse"])
        model = Sequential([Input(shape=(784,)), *stack.encoder_layers(), Dense(10, activation="softmax")])
    """
    where = "greedy_layerwise_pretraining"
    if isinstance(units, int) or not isinstance(units, (list, tuple)) or not units:
        raise bad_type(where, "units", "a non-empty list of hidden sizes", units)
    for size in units:
        check_number(where, "units", size, low=1, integer=True)
    codes = backend.to_numpy(x)
    if codes.ndim != 2 or len(codes) == 0:
        raise bad_value(where, "x", "a 2-D array (samples, features)", x)
    decoder_activations = _per_stage(where, "decoder_activation", decoder_activation, len(units))
    stage_losses = _per_stage(where, "loss", loss, len(units))
    encoders, decoders, histories, reconstruction = [], [], [], []
    for stage, size in enumerate(units):
        encoder = Dense(size, activation=activation)
        decoder = Dense(codes.shape[1], activation=decoder_activations[stage])
        autoencoder = Sequential([InputLayer(shape=(codes.shape[1],)), encoder, decoder])
        autoencoder.compile(optimizer=_fresh(optimizer), loss=stage_losses[stage])
        before = autoencoder.evaluate(codes, codes, batch_size=batch_size, verbose=0)
        histories.append(autoencoder.fit(codes, codes, epochs=epochs, batch_size=batch_size, verbose=verbose))
        after = autoencoder.evaluate(codes, codes, batch_size=batch_size, verbose=0)
        reconstruction.append({"before": before, "after": after})
        encoders.append(encoder)
        decoders.append(decoder)
        codes = Sequential([InputLayer(shape=(codes.shape[1],)), encoder]).predict(codes, batch_size=batch_size,
                                                                                   verbose=0)
    return PretrainedStack(encoders, decoders, histories, reconstruction)


class AuxiliaryPretrained:
    """What `auxiliary_task_pretraining` returns.

    Attributes: `hidden` (the trained hidden Dense layers), `head` (the auxiliary output layer),
    `model` (the auxiliary Sequential: hidden layers then head, sharing them), `history` (its History).
    """

    def __init__(self, hidden, head, model, history):
        self.hidden, self.head, self.model, self.history = hidden, head, model, history

    def hidden_layers(self, copy=False):
        """The hidden layers without the head, to stack under a new output layer and fine-tune.

        copy=False gives the trained layers themselves (a new model shares their weights, as in
        Keras); copy=True gives new layers holding copies of the weights, leaving `hidden` as trained.
        """
        return _shared_or_copied(self.hidden, copy)


def auxiliary_task_pretraining(x, make_labels, units, activation="relu", optimizer="adam", epochs=10,
                               batch_size=32, validation_split=0.0, verbose=0):
    """Pretrain a Dense stack on a task whose labels are cheap to make, then reuse its hidden layers.

        (x_aux, y_aux) = make_labels(x)
        model = Sequential([Dense(units[0], activation), ..., Dense(units[-1], activation), head])

    trained with `fit(x_aux, y_aux)`. y_aux holds integer classes 0..k−1 (one per sample); the head
    is Dense(1, "sigmoid") with binary cross-entropy when k = 2, else Dense(k, "softmax") with sparse
    categorical cross-entropy; the metric is accuracy. Samples of x_aux are flattened to
    (samples, features), so images need a Flatten() before the reused layers.

    Arguments: x (unlabeled samples); make_labels (a function x -> (x_aux, y_aux), e.g. `flip_labels`
    for images, or a rule such as HOML's "are these two images of the same class" where pairs are
    cheap to label); units (hidden sizes, e.g. [64, 32]); activation="relu"; optimizer="adam" (a name,
    a config or an instance, copied fresh); epochs=10; batch_size=32; validation_split=0.0 (fit's:
    the last samples of x_aux, so shuffle them first or hold out data before `make_labels` so an
    image and its flipped twin stay on one side); verbose=0. Returns an AuxiliaryPretrained.

    Example (8x8 digits, no labels used):
        aux = auxiliary_task_pretraining(images, flip_labels, [64, 32])
        model = Sequential([Input(shape=(8, 8)), Flatten(), *aux.hidden_layers(),
                            Dense(10, activation="softmax")])
    """
    where = "auxiliary_task_pretraining"
    if not callable(make_labels):
        raise bad_type(where, "make_labels", "a function x -> (x_aux, y_aux)", make_labels)
    if isinstance(units, int) or not isinstance(units, (list, tuple)) or not units:
        raise bad_type(where, "units", "a non-empty list of hidden sizes", units)
    for size in units:
        check_number(where, "units", size, low=1, integer=True)
    made = make_labels(x)
    if not isinstance(made, tuple) or len(made) != 2:
        raise bad_type(where, "make_labels(x)", "a pair (x_aux, y_aux)", made)
    inputs, labels = (backend.to_numpy(part) for part in made)
    if inputs.ndim < 2 or labels.shape != (len(inputs),) or len(inputs) == 0:
        raise bad_value(where, "make_labels(x)", f"x_aux of 2 or more axes and y_aux of shape ({len(inputs)},) "
                        f"(one label per sample); x_aux has shape {inputs.shape}", labels)
    if labels.dtype.kind not in "iub" or labels.min() < 0 or labels.max() < 1:
        raise bad_value(where, "y_aux", "integer classes 0..k-1 with k >= 2", labels)
    inputs = inputs.reshape(len(inputs), -1)
    classes = int(labels.max()) + 1
    hidden = [Dense(size, activation=activation) for size in units]
    head, loss = ((Dense(1, activation="sigmoid"), "binary_crossentropy") if classes == 2
                  else (Dense(classes, activation="softmax"), "sparse_categorical_crossentropy"))
    model = Sequential([InputLayer(shape=(inputs.shape[1],)), *hidden, head])
    model.compile(optimizer=_fresh(optimizer), loss=loss, metrics=["accuracy"])
    targets = labels.reshape(-1, 1).astype(inputs.dtype) if classes == 2 else labels
    history = model.fit(inputs, targets, epochs=epochs, batch_size=batch_size,
                        validation_split=validation_split, verbose=verbose)
    return AuxiliaryPretrained(hidden, head, model, history)


def flip_labels(images):
    """Cheap labels for images: the images, then each mirrored left-right; label 0 = as given, 1 = flipped.

        x_aux = [images; images[:, :, ::-1]],   y_aux = [0]*n + [1]*n

    images: (samples, height, width) or (samples, height, width, channels). Doubling keeps the
    classes balanced and shows each picture both ways, so only orientation tells them apart.
    Symmetric pictures (a 0, an 8) cannot be told apart, so perfect accuracy is not expected.
    """
    xp = backend.xp
    images = xp.asarray(images)
    if images.ndim not in (3, 4) or len(images) == 0:
        raise bad_value("flip_labels", "images", "an array (samples, height, width[, channels])", images)
    flipped = images[:, :, ::-1]
    labels = xp.concatenate([xp.zeros(len(images), dtype="int64"), xp.ones(len(images), dtype="int64")])
    return xp.concatenate([images, flipped]), labels


def _per_stage(where, argument, value, stages):
    if not isinstance(value, (list, tuple)):
        return [value] * stages
    if len(value) != stages:
        raise bad_value(where, argument, f"one value or a list of {stages} (one per stage)", list(value))
    return list(value)


def _fresh(optimizer):
    """A new optimizer per stage, so no slots or step counts carry over between stages."""
    if isinstance(optimizer, optimizers.Optimizer):
        return optimizers.deserialize(optimizers.serialize(optimizer))
    return optimizers.get(optimizer)


def _shared_or_copied(hidden, copy):
    """The layers themselves, or new layers holding copies of their weights (a clone, then set_weights)."""
    if not copy:
        return list(hidden)
    stack = Sequential([InputLayer(shape=(hidden[0].kernel.shape[0],)), *hidden])
    twin = clone_model(stack)
    twin.set_weights(stack.get_weights())
    return twin.layers
