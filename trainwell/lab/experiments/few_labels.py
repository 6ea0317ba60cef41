"""Unsupervised pretraining with few labels: a classifier on greedily pretrained autoencoder layers
against the same classifier from scratch, each fine-tuned on 50 labeled digits
("Hands-On Machine Learning", ch. 17, stacked autoencoders for semi-supervised learning).
"""
from trainwell import Sequential, layers, optimizers, utils
from trainwell.lab.experiments._common import accuracy, digits_split, take_per_class
from trainwell.pretraining import greedy_layerwise_pretraining

UNITS = (64, 32)
LABELS_PER_CLASS = 5
PRETRAIN_EPOCHS = 20
FINETUNE_EPOCHS = 50
BATCH_SIZE = 10


def pretraining(seed, units=UNITS, labels_per_class=LABELS_PER_CLASS, pretrain_epochs=PRETRAIN_EPOCHS,
                finetune_epochs=FINETUNE_EPOCHS, batch_size=BATCH_SIZE):
    """One seed: pretrained against scratch, both with `labels_per_class` labels of each digit.

    Load: `digits_split(seed)`; all training rows serve as unlabeled data, `labels_per_class` of
    each class (drawn with `seed`) as the labeled set; scored on the test rows. Pretrain:
    `greedy_layerwise_pretraining(x_train, units, activation="relu")`, stage 1 a sigmoid decoder
    with binary cross-entropy (pixels lie in [0, 1]), later stages linear with MSE, Adam,
    `pretrain_epochs` epochs of 32. Fine-tune: Input(64) → the encoder layers → Dense(10,
    softmax), every layer trainable, Adam, `finetune_epochs` epochs of `batch_size`. Scratch: the
    same stack of fresh Dense(relu) layers, trained the same way. Reports both test accuracies,
    their difference (pretrained − scratch) and each stage's reconstruction loss before and after.
    """
    (x, y), (x_test, y_test) = digits_split(seed)
    labeled = take_per_class(y, range(10), labels_per_class, seed)
    utils.set_random_seed(seed)
    stack = greedy_layerwise_pretraining(x, list(units), activation="relu",
                                         decoder_activation=["sigmoid"] + [None] * (len(units) - 1),
                                         loss=["binary_crossentropy"] + ["mse"] * (len(units) - 1),
                                         optimizer="adam", epochs=pretrain_epochs, batch_size=32)
    pretrained = Sequential([layers.Input(shape=(64,)), *stack.encoder_layers(),
                             layers.Dense(10, activation="softmax")])
    scratch = Sequential([layers.Input(shape=(64,))] + [layers.Dense(size, activation="relu") for size in units]
                         + [layers.Dense(10, activation="softmax")])
    scores = {}
    for name, model in (("pretrained", pretrained), ("scratch", scratch)):
        utils.set_random_seed(seed)  # the same batch order for both
        model.compile(optimizer=optimizers.Adam(), loss="sparse_categorical_crossentropy")
        model.fit(x[labeled], y[labeled], epochs=finetune_epochs, batch_size=batch_size, verbose=0)
        scores[f"{name}_accuracy"] = accuracy(model.predict(x_test, verbose=0), y_test)
    scores["difference"] = scores["pretrained_accuracy"] - scores["scratch_accuracy"]
    scores["reconstruction"] = [dict(stage) for stage in stack.reconstruction_losses]
    scores["labeled_samples"] = len(labeled)
    return scores
