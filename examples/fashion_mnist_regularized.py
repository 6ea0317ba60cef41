"""The lecture notes' Fashion-MNIST notebook: an MLP with an L2 kernel penalty, an L1 activity penalty,
dropout, Adam, early stopping and the best checkpoint; prints the test accuracy of the best model.

Data: Fashion-MNIST from trainwell.datasets (downloaded once into the cache). Offline, or with
TRAINWELL_OFFLINE=1 and no cached copy, the bundled 8x8 digits stand in, used as they are (no
upsampling): a 10-class image set of the same shape of problem. The data line says which was used.
Run: `python examples/fashion_mnist_regularized.py` (30 epochs); CI: `--quick` (5 epochs, 3,000
training images). Writes fashion_mnist_regularized.json and the best model (.h5) to --out.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pathlib  # noqa: E402

import _stand_in  # noqa: E402

from trainwell import layers, regularizers, utils  # noqa: E402
from trainwell.callbacks import EarlyStopping, ModelCheckpoint  # noqa: E402
from trainwell.datasets import DownloadError, digits, fashion_mnist  # noqa: E402
from trainwell.datasets.fashion_mnist import SHA256  # noqa: E402
from trainwell.models import Sequential, load_model  # noqa: E402
from trainwell.optimizers import Adam  # noqa: E402

NAME = "fashion_mnist_regularized"
L2_FACTOR = 1e-4  # kernel penalty λ·Σw²
L1_ACTIVITY = 1e-5  # activity penalty λ·Σ|a| over the hidden layer's outputs, ÷ batch size
DROPOUT = 0.2


def main(argv=None):
    args = _stand_in.arguments(__doc__.splitlines()[0], pathlib.Path(__file__).parent / "out", argv)
    utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test), source = load(args.seed)
    _stand_in.say_data(source)
    if args.quick:
        x_train, y_train = x_train[:3000], y_train[:3000]
        x_test, y_test = x_test[:2000], y_test[:2000]
    epochs = 5 if args.quick else 30

    model = Sequential([
        layers.Input(shape=x_train.shape[1:]),
        layers.Flatten(),
        layers.Dense(128, activation="relu", kernel_initializer="he_normal",
                     kernel_regularizer=regularizers.L2(L2_FACTOR),
                     activity_regularizer=regularizers.L1(L1_ACTIVITY)),
        layers.Dropout(DROPOUT),
        layers.Dense(64, activation="relu", kernel_initializer="he_normal",
                     kernel_regularizer=regularizers.L2(L2_FACTOR)),
        layers.Dropout(DROPOUT),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    args.out.mkdir(parents=True, exist_ok=True)
    best = args.out / f"{NAME}_best.h5"
    history = model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, verbose=0,
                        callbacks=[EarlyStopping(monitor="val_loss", patience=3),
                                   ModelCheckpoint(str(best), monitor="val_loss", save_best_only=True)])
    losses = history.history["val_loss"]
    best_epoch = min(range(len(losses)), key=losses.__getitem__) + 1
    best_model = load_model(str(best))
    test_loss, test_accuracy = best_model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    print(f"trained {len(losses)} epochs; best val_loss {min(losses):.4f} at epoch {best_epoch}, saved to {best}")
    print(f"test accuracy of the best checkpoint: {test_accuracy:.4f} (chance 0.1000)")
    _stand_in.write_record(args.out, NAME, {
        "data": source, "quick": args.quick, "seed": args.seed, "train_samples": len(x_train),
        "test_samples": len(x_test), "epochs_run": len(losses), "best_epoch": best_epoch,
        "settings": {"l2": L2_FACTOR, "activity_l1": L1_ACTIVITY, "dropout": DROPOUT, "epochs": epochs,
                     "patience": 3, "learning_rate": 1e-3, "batch_size": 32},
        "val_loss": [_stand_in.finite(v) for v in losses], "test_loss": _stand_in.finite(test_loss),
        "test_accuracy": _stand_in.finite(test_accuracy), "checkpoint": str(best)})


def load(seed):
    """((x_train, y_train), (x_test, y_test), source): pixels scaled to [0, 1] by their maximum."""
    cached = all((fashion_mnist.cache_path() / name).is_file() for name in SHA256)
    if cached or not _stand_in.offline():
        try:
            (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
            return ((x_train / 255.0).astype("float32"), y_train.astype("int64")), \
                   ((x_test / 255.0).astype("float32"), y_test.astype("int64")), "Fashion-MNIST (28x28)"
        except (DownloadError, OSError) as error:
            print(f"Fashion-MNIST is not available ({type(error).__name__}); using the stand-in.")
    (x_train, y_train), (x_test, y_test) = digits.load_data(seed=seed)
    return ((x_train / 16.0).astype("float32"), y_train), ((x_test / 16.0).astype("float32"), y_test), \
        "stand-in: bundled 8x8 digits as they are (not upsampled), Fashion-MNIST not cached"


if __name__ == "__main__":
    main()
