"""MinMaxScaler and StandardScaler: the formulas, training-only fitting, round trips and refusals."""
import json

import numpy as np
import pytest

import trainwell as tw
from trainwell.data import MinMaxScaler, StandardScaler
from trainwell.data.scaling import column_statistics


def table(seed=0, n=200):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, -3.0]


def test_min_max_scaler_maps_each_training_column_onto_zero_one():
    x = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]])
    # column 0: min 1, max 5 -> (x - 1)/4 = 0, 0.5, 1; column 1: min 10, max 30 -> (x - 10)/20 = 0, 1, 0.5
    np.testing.assert_allclose(MinMaxScaler().fit_transform(x), [[0.0, 0.0], [0.5, 1.0], [1.0, 0.5]])


def test_minus_one_one_range_is_the_lecture_formula():
    x = table()
    expected = 2 * (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0)) - 1
    np.testing.assert_allclose(MinMaxScaler(feature_range=(-1, 1)).fit_transform(x), expected, rtol=1e-12)


def test_standard_scaler_divides_by_the_population_sigma():
    x = np.array([[1.0], [2.0], [3.0], [4.0]])
    # mean 2.5; population variance (2.25 + 0.25 + 0.25 + 2.25)/4 = 1.25 (the sample variance would be 5/3)
    scaler = StandardScaler().fit(x)
    np.testing.assert_allclose(scaler.mean_, [2.5])
    np.testing.assert_allclose(scaler.var_, [1.25])
    np.testing.assert_allclose(scaler.transform(x).ravel(), np.array([-1.5, -0.5, 0.5, 1.5]) / np.sqrt(1.25))
    wide = table(1)
    np.testing.assert_allclose(StandardScaler().fit_transform(wide),
                               (wide - wide.mean(axis=0)) / wide.std(axis=0, ddof=0), rtol=1e-10)


def test_statistics_come_from_the_training_data_only():
    x_train, x_test = np.array([[1.0], [5.0]]), np.array([[7.0], [3.0]])
    scaler = MinMaxScaler().fit(x_train)
    np.testing.assert_allclose(scaler.transform(x_test), [[1.5], [0.5]])  # (7 - 1)/4 and (3 - 1)/4: not clipped
    np.testing.assert_allclose(StandardScaler().fit(x_train).transform(x_test), [[2.0], [0.0]])  # (7 - 3)/2


@pytest.mark.parametrize("scaler", [MinMaxScaler(), MinMaxScaler(feature_range=(-1, 1)), StandardScaler(),
                                    StandardScaler(axis=None)])
def test_inverse_transform_round_trips(scaler):
    x = table(2)
    scaled = scaler.fit_transform(x)
    np.testing.assert_allclose(scaler.inverse_transform(scaled), x, rtol=1e-12, atol=1e-12)


def test_axis_chooses_the_columns():
    images = np.random.default_rng(3).uniform(0, 255, size=(20, 4, 5))
    overall = MinMaxScaler(axis=None).fit(images)
    assert overall.data_min_.shape == () and overall.data_max_ == images.max()
    per_pixel = StandardScaler(axis=(1, 2)).fit(images)
    np.testing.assert_allclose(per_pixel.mean_, images.mean(axis=0))
    per_last = StandardScaler().fit(images)
    np.testing.assert_allclose(per_last.var_, images.reshape(-1, 5).var(axis=0))


def test_chunked_statistics_merge_exactly():
    x = table(4, n=1001)
    batches = [x[:1], x[1:500], x[500:]]
    statistics = column_statistics(batches)
    assert statistics.samples == 1001
    np.testing.assert_allclose(statistics.mean, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(statistics.variance, x.var(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(statistics.minimum, x.min(axis=0))
    np.testing.assert_array_equal(statistics.maximum, x.max(axis=0))


def test_fitting_on_a_memmap_equals_fitting_in_memory(tmp_path):
    x = table(5, n=3000).astype("float32")
    mapped = np.memmap(tmp_path / "x.bin", dtype="float32", mode="w+", shape=x.shape)
    mapped[:] = x
    mapped.flush()
    reread = np.memmap(tmp_path / "x.bin", dtype="float32", mode="r", shape=x.shape)
    np.testing.assert_allclose(StandardScaler().fit(reread).mean_, x.astype("float64").mean(axis=0), rtol=1e-12)


@pytest.mark.parametrize("bad, match", [
    (np.nan, "Column 1 holds one in sample 2"),
    (np.inf, "Column 1 holds one in sample 2"),
])
@pytest.mark.parametrize("scaler", [MinMaxScaler, StandardScaler])
def test_nan_and_inf_are_refused_naming_the_column(scaler, bad, match):
    x = table(6, n=5)
    x[2, 1] = bad
    with pytest.raises(ValueError, match=f"{scaler.__name__}.fit: x must be free of NaN and infinite values.*{match}"):
        scaler().fit(x)
    fitted = scaler().fit(table(6, n=5))
    with pytest.raises(ValueError, match=f"{scaler.__name__}.transform.*{match}"):
        fitted.transform(x)


@pytest.mark.parametrize("scaler", [MinMaxScaler, StandardScaler])
def test_a_constant_column_is_refused_naming_its_index(scaler):
    x = table(7, n=6)
    x[:, 2] = 4.0
    with pytest.raises(ValueError, match=r"Column 2 is constant \(every value is 4\).*cannot be scaled"):
        scaler().fit(x)


def test_config_round_trip_restores_a_fitted_scaler():
    x = table(8)
    for scaler in (MinMaxScaler(feature_range=(-1, 1)).fit(x), StandardScaler().fit(x)):
        config = json.loads(json.dumps(scaler.get_config()))
        rebuilt = type(scaler).from_config(config)
        np.testing.assert_array_equal(rebuilt.transform(x), scaler.transform(x))
    unfitted = StandardScaler.from_config(StandardScaler(axis=[1, 2]).get_config())
    assert unfitted.axis == (1, 2) and unfitted.mean_ is None


def test_output_dtype_follows_the_input_or_floatx_for_integers():
    assert StandardScaler().fit_transform(table(9)).dtype == np.float64
    assert MinMaxScaler().fit_transform(np.array([[1, 2], [3, 5]], dtype="uint8")).dtype == tw.backend.floatx()


@pytest.mark.parametrize("call, error, match", [
    (lambda: StandardScaler().transform(np.ones((2, 2))), RuntimeError, "not fitted yet; call fit"),
    (lambda: MinMaxScaler(feature_range=(1, 0)), ValueError, "low < high"),
    (lambda: MinMaxScaler(axis="rows"), TypeError, "axis must be an int"),
    (lambda: StandardScaler(axis=0).fit(table()), ValueError, "axis must be non-sample axes"),
    (lambda: StandardScaler().fit(table()).transform(np.ones((2, 4))), ValueError, r"columns of shape \(3,\)"),
    (lambda: StandardScaler().fit(np.array([["a"], ["b"]])), TypeError, "numbers with a batch axis"),
])
def test_misuse_is_refused_with_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
