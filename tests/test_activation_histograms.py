"""trainwell.lab.activation_histograms: Glorot & Bengio's figure reproduces what their variance argument
predicts (saturation with N(0, 1) weights, ReLU variance halved per layer by Glorot's scale and kept by
He's), histograms count every activation, and the figure is written."""
import numpy as np
import pytest

from trainwell.lab.activation_histograms import INITIALIZERS, activation_histograms, plot_activation_histograms


@pytest.fixture(scope="module")
def tanh():
    return activation_histograms("tanh", samples=500)


@pytest.fixture(scope="module")
def relu():
    return activation_histograms("relu", samples=500)


def test_unit_normal_weights_pin_tanh_units_at_their_bounds_and_glorot_does_not(tanh):
    assert all(layer["saturated"] > 0.5 for layer in tanh["normal(0, 1)"])
    assert all(layer["saturated"] < 0.05 for layer in tanh["glorot_uniform"])


def test_relu_variance_halves_per_layer_with_glorot_is_kept_with_he_and_explodes_with_unit_normal(relu):
    def growth(name):
        return relu[name][-1]["std"] / relu[name][0]["std"]
    # four layers after the first: Glorot's variance 1/2 per layer (std ratio 1/4), He's 1, N(0, 1)'s 50
    assert growth("glorot_uniform") < 0.5
    assert 0.5 < growth("he_normal") < 2.0
    assert growth("normal(0, 1)") > 100


def test_each_histogram_counts_every_activation_over_the_activations_range(tanh, relu):
    for result, (low, high) in ((tanh, (-1.0, 1.0)), (relu, (0.0, 4.0))):
        for rows in result.values():
            assert len(rows) == 5
            for layer in rows:
                assert sum(layer["counts"]) == 500 * 100  # values beyond the range land in the end bins
                assert len(layer["edges"]) == 41 and layer["edges"][0] == low and layer["edges"][-1] == high
    assert relu["he_normal"][0]["saturated"] is None and set(tanh) == set(INITIALIZERS)


def test_the_same_seed_gives_the_same_histograms_and_another_seed_others():
    first = activation_histograms("sigmoid", names=["glorot_uniform"], depth=2, samples=200, seed=3)
    again = activation_histograms("sigmoid", names=["glorot_uniform"], depth=2, samples=200, seed=3)
    other = activation_histograms("sigmoid", names=["glorot_uniform"], depth=2, samples=200, seed=4)
    assert first == again and first != other


def test_the_figure_is_a_png_file(tmp_path):
    pytest.importorskip("matplotlib")
    result = activation_histograms("tanh", names=["normal(0, 1)", "glorot_uniform"], depth=3, samples=100)
    path = plot_activation_histograms(result, tmp_path / "tanh.png", title="tanh")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["tanh.png"]  # no temporary left behind


@pytest.mark.parametrize("kwargs, error, match", [
    ({"activation": "softmax"}, ValueError, "activation"),
    ({"depth": 0}, ValueError, "depth"),
    ({"names": ["xavier"]}, TypeError, "names"),
    ({"names": "he_normal"}, TypeError, "names"),
])
def test_bad_arguments_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        activation_histograms(**kwargs)
