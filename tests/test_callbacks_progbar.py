"""The progress bar: Keras's layout for verbose=1 and verbose=2, silence for verbose=0."""
import io

import numpy as np

import trainwell as tw
from trainwell import layers
from trainwell.callbacks import ProgbarLogger


def tiny_model():
    model = tw.Sequential([layers.Input(shape=(3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(20, 3)), rng.integers(0, 2, 20)


def test_verbose_2_prints_one_line_per_epoch_with_every_log():
    stream = io.StringIO()
    x, y = data()
    tiny_model().fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[ProgbarLogger(2, stream=stream)])
    lines = stream.getvalue().splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("3/3 - ") and "ms/step - accuracy: " in lines[1] and " - loss: " in lines[1]
    assert len(lines) == 4


def test_verbose_1_draws_a_bar_that_ends_full_with_validation_values():
    stream = io.StringIO()
    x, y = data()
    tiny_model().fit(x, y, epochs=1, batch_size=8, verbose=0, validation_split=0.2,
                     callbacks=[ProgbarLogger(1, stream=stream)])
    final = stream.getvalue().split("\r")[-1]
    assert final.startswith("2/2 " + "━" * 20)
    assert "val_loss: " in final and final.endswith("\n")


def test_verbose_0_prints_nothing(capsys):
    x, y = data()
    tiny_model().fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_small_values_use_scientific_notation_as_keras():
    from trainwell.callbacks.progbar import _format
    assert _format(0.5) == "0.5000"
    assert _format(0.0002) == "2.0000e-04"
    assert _format(0.0) == "0.0000"
