"""IMDB review sentiment, a binary task on multi-hot vectors: each review becomes a 0/1 vector over the
10,000 most frequent words, then Dense(16, relu) → Dense(16, relu) → Dense(1, sigmoid) with binary
cross-entropy (the lecture's network); prints the test accuracy.

Data: trainwell.datasets.imdb when its pickle-free file is in the cache (see help(imdb.load_data) for
converting Keras's file once). Otherwise synthetic reviews from examples/_stand_in.py stand in: words
with Zipf-like frequencies plus 200 "positive" and 200 "negative" words whose mix follows the label
(the rule is documented there). The data line says which. Run: `python examples/imdb_multi_hot.py`
(20 epochs); CI: `--quick` (4 epochs, 2,000 reviews and 1,000 test reviews).
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pathlib  # noqa: E402

import _stand_in  # noqa: E402

from trainwell import layers, utils  # noqa: E402
from trainwell.callbacks import EarlyStopping  # noqa: E402
from trainwell.datasets import imdb  # noqa: E402
from trainwell.models import Sequential  # noqa: E402

NAME = "imdb_multi_hot"
NUM_WORDS = 10000


def main(argv=None):
    args = _stand_in.arguments(__doc__.splitlines()[0], pathlib.Path(__file__).parent / "out", argv)
    utils.set_random_seed(args.seed)
    train_samples, test_samples = (2000, 1000) if args.quick else (25000, 25000)
    if imdb.default_path().is_file():
        (train_words, y_train), (test_words, y_test) = imdb.load_data(num_words=NUM_WORDS)
        source = f"IMDB reviews from {imdb.default_path()}"
    else:
        train_words, y_train = _stand_in.reviews(train_samples, NUM_WORDS, seed=args.seed)
        test_words, y_test = _stand_in.reviews(test_samples, NUM_WORDS, seed=args.seed + 1)
        source = (f"stand-in: synthetic bag-of-words reviews ({NUM_WORDS} words, 400 sentiment words), "
                  f"IMDB file not cached at {imdb.default_path()}")
    _stand_in.say_data(source)
    x_train = _stand_in.multi_hot(train_words[:train_samples], NUM_WORDS)
    x_test = _stand_in.multi_hot(test_words[:test_samples], NUM_WORDS)
    y_train, y_test = y_train[:train_samples], y_test[:test_samples]

    model = Sequential([layers.Input(shape=(NUM_WORDS,)), layers.Dense(16, activation="relu"),
                        layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    epochs = 4 if args.quick else 20
    history = model.fit(x_train, y_train, batch_size=512, epochs=epochs, validation_split=0.2, verbose=0,
                        callbacks=[EarlyStopping(patience=3, restore_best_weights=True)])
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    print(f"test accuracy: {test_accuracy:.4f} (chance 0.5000)")
    _stand_in.write_record(args.out, NAME, {
        "data": source, "quick": args.quick, "seed": args.seed, "train_samples": len(x_train),
        "test_samples": len(x_test), "num_words": NUM_WORDS, "epochs_run": len(history.history["loss"]),
        "test_loss": _stand_in.finite(test_loss), "test_accuracy": _stand_in.finite(test_accuracy)})


if __name__ == "__main__":
    main()
