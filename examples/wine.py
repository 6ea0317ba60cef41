"""Wine cultivars, a multiclass task: 13 chemical measurements, 3 classes; standardized inputs and an MLP
with the 'multiclass' preset (softmax, sparse categorical cross-entropy); prints the test accuracy.

Data: scikit-learn's wine table through trainwell.datasets.wine (the `data` extra: `pip install
'trainwell[data]'`); without scikit-learn the example says so and exits 0 without training.
Run: `python examples/wine.py` (150 epochs); CI: `--quick` (20 epochs).
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pathlib  # noqa: E402

import numpy  # noqa: E402

import _stand_in  # noqa: E402

from trainwell import utils  # noqa: E402
from trainwell.data import StandardScaler  # noqa: E402
from trainwell.datasets import wine  # noqa: E402
from trainwell.tasks import build_mlp  # noqa: E402

NAME = "wine"


def main(argv=None):
    args = _stand_in.arguments(__doc__.splitlines()[0], pathlib.Path(__file__).parent / "out", argv)
    utils.set_random_seed(args.seed)
    try:
        (x_train, y_train), (x_test, y_test) = wine.load_data(seed=args.seed)
    except ImportError as error:
        print(f"skipped: {error}")
        return
    source = "scikit-learn wine (178 samples, 13 features, 3 classes), stratified 80/20 split"
    _stand_in.say_data(source)
    scaler = StandardScaler().fit(x_train)  # statistics from the training rows only
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    model = build_mlp("multiclass", input_shape=13, n_outputs=3, hidden=(32,), dropout=0.1)
    epochs = 20 if args.quick else 150
    history = model.fit(x_train, y_train, batch_size=16, epochs=epochs, verbose=0)
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    majority = float(numpy.bincount(y_test).max() / len(y_test))
    print(f"test accuracy: {test_accuracy:.4f} (majority-class baseline {majority:.4f})")
    _stand_in.write_record(args.out, NAME, {
        "data": source, "quick": args.quick, "seed": args.seed, "train_samples": len(x_train),
        "test_samples": len(x_test), "epochs_run": len(history.history["loss"]),
        "test_loss": _stand_in.finite(test_loss), "test_accuracy": _stand_in.finite(test_accuracy),
        "majority_baseline": majority})


if __name__ == "__main__":
    main()
