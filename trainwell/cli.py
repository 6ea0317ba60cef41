"""The `trainwell` command: `trainwell demo` trains the textbook MLP on the bundled digits."""
import argparse
import sys


def demo(epochs=20, seed=42, verbose=2):
    """Train Dense(300)-Dense(100) with He init, ELU, batch norm, Adam and early stopping on the
    bundled digits (validation: the last 10% of the training split); return test accuracy."""
    import trainwell as tw  # noqa: PLC0415  (keeps `trainwell --help` fast)

    tw.utils.set_random_seed(seed)
    images, labels = tw.data.load_digits()
    (x_train, y_train), (x_test, y_test) = tw.data.train_test_split(
        images / 16.0, labels, test_size=0.2, stratify=True, seed=seed)
    model = tw.Sequential([
        tw.layers.Input(shape=(8, 8)),
        tw.layers.Flatten(),
        tw.layers.Dense(300, activation="elu", kernel_initializer="he_normal"),
        tw.layers.BatchNormalization(),
        tw.layers.Dense(100, activation="elu", kernel_initializer="he_normal"),
        tw.layers.BatchNormalization(),
        tw.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    early_stopping = tw.callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, validation_split=0.1, verbose=verbose,
              callbacks=[early_stopping])
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"digits test: loss {loss:.4f}, accuracy {accuracy:.4f} "
          f"({len(x_train)} training and {len(x_test)} test images, {epochs} epochs, seed {seed})")
    return accuracy


def main(argv=None):
    parser = argparse.ArgumentParser(prog="trainwell", description="Train deep networks well.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="train the textbook MLP on the bundled digits")
    demo_parser.add_argument("--epochs", type=int, default=20)
    demo_parser.add_argument("--seed", type=int, default=42)
    demo_parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2))
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.epochs, args.seed, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
