"""Greedy layer-wise pretraining of a stacked autoencoder on unlabeled data (Hinton & Salakhutdinov 2006;
Bengio et al. 2007), whose encoder layers then start a supervised model."""
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
        if not copy:
            return list(self.encoders)
        stack = Sequential([InputLayer(shape=(self.encoders[0].kernel.shape[0],)), *self.encoders])
        twin = clone_model(stack)
        twin.set_weights(stack.get_weights())
        return twin.layers

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
