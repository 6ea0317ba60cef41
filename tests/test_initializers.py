"""Tests for trainwell.initializers: fans, distributions, Orthogonal, seeds, names and configs."""
import json
import math

import numpy as np
import pytest

from trainwell import backend, utils
from trainwell import initializers
from trainwell.initializers import (
    REGISTRY, Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform, Identity, Initializer,
    LecunNormal, LecunUniform, Ones, Orthogonal, RandomInitializer, RandomNormal, RandomUniform,
    TruncatedNormal, VarianceScaling, Zeros, compute_fans)

LARGE = (1000, 500)  # fan_in = 1000, fan_out = 500
N = 500_000
# The relative standard error of a sample std over n iid draws is sqrt((kurtosis - 1) / (4n)).
# The kurtosis is 3 for a normal and lower for the truncated normal and the uniform (1.8), so
# 1/sqrt(2n) bounds all of them (0.1% here). Four standard errors: an arbitrary seed fails with
# probability about 6e-5; the seeds below are fixed, so the tests are deterministic.
STD_RTOL = 4 / math.sqrt(2 * N)
RANDOM_CLASSES = [cls for cls in REGISTRY.members() if issubclass(cls, RandomInitializer)]


def draw(initializer, shape=LARGE, dtype="float64"):
    return backend.to_numpy(initializer(shape, dtype=dtype))


def truncated_std_factor():
    """Std of N(0, 1) cut to [-2, 2], re-derived: sqrt(1 - 4 phi(2) / (Phi(2) - Phi(-2)))."""
    pdf_at_2 = math.exp(-2.0) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))  # Phi(2) - Phi(-2)
    return math.sqrt(1 - 4 * pdf_at_2 / mass)


# ---- fans, shapes and dtypes -------------------------------------------------------------

@pytest.mark.parametrize("shape, fans", [
    ((), (1, 1)),
    ((7,), (7, 7)),
    ((784, 10), (784, 10)),                # Dense kernel (input_dim, units)
    ((5, 4, 8), (20, 40)),                 # Conv1D k=5, 4 -> 8 channels: 5*4, 5*8
    ((3, 3, 64, 128), (576, 1152)),        # keras_semantics.md §1.4 example
    ((2, 3, 3, 16, 32), (288, 576)),       # Conv3D 2x3x3 = 18: 18*16, 18*32
])
def test_compute_fans_follows_keras_table(shape, fans):
    assert compute_fans(shape) == fans


@pytest.mark.parametrize("cls", REGISTRY.members(), ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_initializer_returns_requested_shape_and_dtype(cls, dtype):
    values = cls()((6, 4), dtype=dtype)
    assert isinstance(values, backend.xp.ndarray)
    assert values.shape == (6, 4) and values.dtype == np.dtype(dtype)


@pytest.mark.parametrize("cls", REGISTRY.members(), ids=lambda cls: cls.__name__)
def test_default_dtype_is_floatx(cls):
    assert cls()((3, 2)).dtype == np.float32
    backend.set_floatx("float64")
    try:
        assert cls()((3, 2)).dtype == np.float64
    finally:
        backend.set_floatx("float32")


def test_constant_family_values():
    assert np.all(draw(Zeros(), (2, 3)) == 0) and np.all(draw(Ones(), (2, 3)) == 1)
    assert np.all(draw(Constant(0.25), (2, 3)) == 0.25)
    assert np.array_equal(draw(Identity(gain=2.0), (3, 5)), 2.0 * np.eye(3, 5))
    assert draw(Zeros(), (4,), dtype="int32").dtype == np.int32  # constants allow any dtype


def test_zero_size_shapes_need_no_division_by_a_zero_fan():
    # n = max(1, fan) keeps the scale finite when a dimension is 0.
    assert VarianceScaling()((0, 5)).shape == (0, 5)
    assert Orthogonal()((0, 3)).shape == (0, 3)


# ---- distributions --------------------------------------------------------------------------

def test_truncation_constant_matches_its_derivation():
    assert truncated_std_factor() == pytest.approx(0.8796256610342398, rel=1e-15)
    assert initializers.TRUNCATED_STD_FACTOR == pytest.approx(truncated_std_factor(), rel=1e-15)


@pytest.mark.parametrize("cls, limit", [
    (GlorotUniform, math.sqrt(6 / (1000 + 500))),
    (HeUniform, math.sqrt(6 / 1000)),
    (LecunUniform, math.sqrt(3 / 1000)),
], ids=lambda case: getattr(case, "__name__", None))
def test_uniform_presets_fill_minus_limit_to_limit(cls, limit):
    values = draw(cls(seed=1))
    assert np.abs(values).max() <= limit
    # With 5e5 draws, none landing in the top 1e-4 of the range has probability e^-50.
    assert np.abs(values).max() >= limit * (1 - 1e-4)
    assert values.std() == pytest.approx(limit / math.sqrt(3), rel=STD_RTOL)
    assert abs(values.mean()) < 4 * limit / math.sqrt(3 * N)


@pytest.mark.parametrize("cls, std", [
    (GlorotNormal, math.sqrt(2 / (1000 + 500))),
    (HeNormal, math.sqrt(2 / 1000)),
    (LecunNormal, math.sqrt(1 / 1000)),
], ids=lambda case: getattr(case, "__name__", None))
def test_normal_presets_are_truncated_at_two_sigma_with_exact_final_std(cls, std):
    values = draw(cls(seed=2))
    sigma = std / truncated_std_factor()
    assert np.abs(values).max() <= 2 * sigma
    # 2.3e-4 of the draws fall within 0.1% of the cut: none of 5e5 doing so has probability e^-113.
    assert np.abs(values).max() >= 2 * sigma * (1 - 1e-3)
    assert values.std() == pytest.approx(std, rel=STD_RTOL)
    assert abs(values.mean()) < 4 * std / math.sqrt(N)


def test_he_normal_on_a_conv_kernel_uses_the_receptive_field():
    shape = (3, 3, 64, 128)  # fan_in = 576; 73,728 draws
    values = draw(HeNormal(seed=3), shape)
    assert values.std() == pytest.approx(math.sqrt(2 / 576), rel=4 / math.sqrt(2 * values.size))


def test_variance_scaling_untruncated_fan_out():
    values = draw(VarianceScaling(scale=3.0, mode="fan_out", distribution="untruncated_normal", seed=4))
    std = math.sqrt(3.0 / 500)
    assert values.std() == pytest.approx(std, rel=STD_RTOL)
    # Untruncated: P(|z| > 2) = 1 - erf(sqrt 2) = 4.55%, standard error sqrt(p(1-p)/N) = 3e-4.
    beyond = 1 - math.erf(math.sqrt(2))
    assert np.mean(np.abs(values) > 2 * std) == pytest.approx(beyond, abs=4 * math.sqrt(beyond / N))


def test_truncated_normal_redraws_instead_of_clipping():
    mean, stddev = 1.0, 0.5
    values = draw(TruncatedNormal(mean=mean, stddev=stddev, seed=5))
    assert values.min() >= mean - 2 * stddev and values.max() <= mean + 2 * stddev
    # Clipping would pile 4.55% of the draws onto the bounds; redrawing puts none there.
    assert np.mean(np.isclose(np.abs(values - mean), 2 * stddev, rtol=1e-9, atol=0)) < 1e-4
    assert values.std() == pytest.approx(stddev * truncated_std_factor(), rel=STD_RTOL)
    assert abs(values.mean() - mean) < 4 * stddev / math.sqrt(N)


def test_random_normal_mean_and_std():
    values = draw(RandomNormal(mean=-1.0, stddev=2.0, seed=6))
    assert values.std() == pytest.approx(2.0, rel=STD_RTOL)
    assert abs(values.mean() + 1.0) < 4 * 2.0 / math.sqrt(N)


def test_random_uniform_range_mean_and_std():
    values = draw(RandomUniform(minval=2.0, maxval=5.0, seed=7))
    assert values.min() >= 2.0 and values.max() < 5.0
    std = 3.0 / math.sqrt(12)  # (maxval - minval) / sqrt(12)
    assert values.std() == pytest.approx(std, rel=STD_RTOL)
    assert abs(values.mean() - 3.5) < 4 * std / math.sqrt(N)


# ---- Orthogonal ------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 3, 4, 8), (2, 2, 3, 20)])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape):
    gain = 1.5
    matrix = draw(Orthogonal(gain=gain, seed=8), shape).reshape(-1, shape[-1])
    rows, cols = matrix.shape
    gram = matrix.T @ matrix if rows >= cols else matrix @ matrix.T
    assert np.allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-12)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5)])
def test_orthogonal_matches_sign_corrected_qr_of_its_normal_draw(shape):
    # §1.6 re-derived: A ~ N(0, 1) of shape (max, min) from default_rng(seed), A = QR,
    # Q times sign(diag R) column-wise, transposed when rows < cols.
    a = np.random.default_rng(9).standard_normal((max(shape), min(shape)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    expected = 0.5 * (q if shape[0] >= shape[1] else q.T)
    assert np.allclose(draw(Orthogonal(gain=0.5, seed=9), shape), expected, atol=1e-12)


# ---- seeds ------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", RANDOM_CLASSES, ids=lambda cls: cls.__name__)
def test_seed_semantics(cls):
    shape = (20, 30)
    assert np.array_equal(draw(cls(seed=5), shape), draw(cls(seed=5), shape))
    assert not np.array_equal(draw(cls(seed=5), shape), draw(cls(seed=6), shape))
    unseeded = cls()
    assert np.array_equal(draw(unseeded, shape), draw(unseeded, shape))  # seed drawn once


@pytest.mark.parametrize("cls", RANDOM_CLASSES, ids=lambda cls: cls.__name__)
def test_set_random_seed_makes_default_seeds_reproducible(cls):
    utils.set_random_seed(123)
    first, second = cls(), cls()
    utils.set_random_seed(123)
    first_again, second_again = cls(), cls()
    assert np.array_equal(draw(first, (8, 8)), draw(first_again, (8, 8)))
    assert np.array_equal(draw(second, (8, 8)), draw(second_again, (8, 8)))
    assert not np.array_equal(draw(first, (8, 8)), draw(second, (8, 8)))


def test_each_string_lookup_gets_its_own_seed():
    assert not np.array_equal(draw(initializers.get("he_normal"), (8, 8)),
                              draw(initializers.get("he_normal"), (8, 8)))


def test_a_refused_constructor_leaves_the_generator_untouched():
    utils.set_random_seed(5)
    with pytest.raises(ValueError):
        RandomNormal(stddev=-1.0)
    after_failure = RandomNormal().seed
    utils.set_random_seed(5)
    assert RandomNormal().seed == after_failure


# ---- names, get, configs -----------------------------------------------------------------------

NAMES = {
    Zeros: ["Zeros", "zeros", "zero"], Ones: ["Ones", "ones", "one"],
    Constant: ["Constant", "constant"], Identity: ["Identity", "identity", "IdentityInitializer"],
    RandomNormal: ["RandomNormal", "random_normal", "normal"],
    RandomUniform: ["RandomUniform", "random_uniform", "uniform"],
    TruncatedNormal: ["TruncatedNormal", "truncated_normal"],
    VarianceScaling: ["VarianceScaling", "variance_scaling"],
    GlorotNormal: ["GlorotNormal", "glorot_normal"], GlorotUniform: ["GlorotUniform", "glorot_uniform"],
    HeNormal: ["HeNormal", "he_normal"], HeUniform: ["HeUniform", "he_uniform"],
    LecunNormal: ["LecunNormal", "lecun_normal"], LecunUniform: ["LecunUniform", "lecun_uniform"],
    Orthogonal: ["Orthogonal", "orthogonal", "OrthogonalInitializer"],
}


def test_registry_holds_exactly_the_keras_names():
    assert REGISTRY.names() == sorted(name for names in NAMES.values() for name in names)


@pytest.mark.parametrize("name, cls", [(name, cls) for cls, names in NAMES.items() for name in names])
def test_every_name_resolves_to_a_new_default_instance(name, cls):
    first, second = initializers.get(name), initializers.get(name)
    assert type(first) is cls and first is not second
    assert first.get_config() == cls().get_config()


def test_unknown_name_lists_the_valid_names():
    valid = ", ".join(sorted(REGISTRY.names()))
    with pytest.raises(ValueError, match="unknown initializer 'he_normall'") as error:
        initializers.get("he_normall")
    assert f"Valid names: {valid}." in str(error.value)


def test_get_passes_through_none_instances_and_callables():
    def custom(shape, dtype=None):
        return np.full(shape, 7.0)

    instance = HeNormal()
    assert initializers.get(None) is None
    assert initializers.get(instance) is instance and initializers.get(custom) is custom
    assert type(initializers.get(LecunUniform)) is LecunUniform
    rebuilt = initializers.get(initializers.serialize(RandomNormal(stddev=0.3, seed=2)))
    assert type(rebuilt) is RandomNormal and rebuilt.get_config()["stddev"] == 0.3


@pytest.mark.parametrize("identifier", [3, 0.5, np.zeros(3), dict])
def test_get_refuses_other_types(identifier):
    with pytest.raises(TypeError, match="initializers.get: identifier must be"):
        initializers.get(identifier)


CONFIG_CASES = {
    Zeros: {}, Ones: {}, Constant: {"value": 0.25}, Identity: {"gain": 3.0},
    RandomNormal: {"mean": 1.0, "stddev": 0.2, "seed": 11},
    RandomUniform: {"minval": -1.0, "maxval": 2.0, "seed": 12},
    TruncatedNormal: {"mean": -0.5, "stddev": 0.3, "seed": 13},
    VarianceScaling: {"scale": 2.5, "mode": "fan_avg", "distribution": "uniform", "seed": 14},
    GlorotNormal: {"seed": 15}, GlorotUniform: {"seed": 16}, HeNormal: {"seed": 17},
    HeUniform: {"seed": 18}, LecunNormal: {"seed": 19}, LecunUniform: {"seed": 20},
    Orthogonal: {"gain": 0.5, "seed": 21},
}


def test_config_cases_cover_every_registered_class():
    assert set(CONFIG_CASES) == set(REGISTRY.members())


@pytest.mark.parametrize("cls", REGISTRY.members(), ids=lambda cls: cls.__name__)
def test_config_round_trips_through_json(cls):
    original = cls(**CONFIG_CASES[cls])
    assert original.get_config() == CONFIG_CASES[cls]
    rebuilt = initializers.deserialize(json.loads(json.dumps(initializers.serialize(original))))
    assert type(rebuilt) is cls and rebuilt.get_config() == original.get_config()
    assert np.array_equal(draw(rebuilt, (4, 4)), draw(original, (4, 4)))


def test_seedless_config_keeps_seed_none_and_presets_keep_only_the_seed():
    assert RandomNormal().get_config()["seed"] is None
    for cls in (GlorotNormal, GlorotUniform, HeNormal, HeUniform, LecunNormal, LecunUniform):
        assert issubclass(cls, VarianceScaling) and cls().get_config() == {"seed": None}


def test_variance_scaling_normalizes_distribution_names():
    assert VarianceScaling(distribution="Normal").get_config()["distribution"] == "truncated_normal"
    assert VarianceScaling(distribution="UNIFORM").distribution == "uniform"


def test_serialize_and_deserialize_refuse_what_they_cannot_build():
    assert initializers.serialize(None) is None
    with pytest.raises(TypeError, match="initializers.serialize: initializer must be"):
        initializers.serialize(lambda shape, dtype=None: None)
    with pytest.raises(ValueError, match="unknown initializer 'Bogus'"):
        initializers.deserialize({"class_name": "Bogus", "config": {}})


def test_base_initializer_must_be_subclassed():
    with pytest.raises(NotImplementedError, match="Initializer must implement __call__"):
        Initializer()((2, 2))


# ---- bad arguments -----------------------------------------------------------------------------

@pytest.mark.parametrize("cls, kwargs, argument", [
    (RandomNormal, {"stddev": 0.0}, "stddev"),
    (TruncatedNormal, {"stddev": -0.1}, "stddev"),
    (RandomUniform, {"minval": 1.0, "maxval": 1.0}, "maxval"),
    (VarianceScaling, {"scale": 0.0}, "scale"),
    (VarianceScaling, {"mode": "fan_sum"}, "mode"),
    (VarianceScaling, {"distribution": "cauchy"}, "distribution"),
    (Identity, {"gain": float("inf")}, "gain"),
    (Orthogonal, {"gain": float("nan")}, "gain"),
    (Constant, {"value": float("nan")}, "value"),
    (HeNormal, {"seed": -1}, "seed"),
    (RandomNormal, {"mean": float("inf")}, "mean"),
])
def test_bad_values_are_refused_naming_the_argument(cls, kwargs, argument):
    with pytest.raises(ValueError, match=rf"^{cls.__name__}: {argument} must be"):
        cls(**kwargs)


@pytest.mark.parametrize("cls, kwargs, argument", [
    (RandomNormal, {"seed": 1.5}, "seed"),
    (GlorotUniform, {"seed": "0"}, "seed"),
    (RandomUniform, {"minval": "0"}, "minval"),
    (VarianceScaling, {"distribution": 3}, "distribution"),
])
def test_bad_types_are_refused_naming_the_argument(cls, kwargs, argument):
    with pytest.raises(TypeError, match=rf"^{cls.__name__}: {argument} must be"):
        cls(**kwargs)


def test_bad_calls_are_refused():
    with pytest.raises(ValueError, match="Identity: shape must be 2-D"):
        Identity()((2, 3, 4))
    with pytest.raises(ValueError, match="Orthogonal: shape must be of rank 2 or more"):
        Orthogonal()((5,))
    with pytest.raises(ValueError, match="RandomNormal: dtype must be a floating-point dtype"):
        RandomNormal()((3,), dtype="int32")
    with pytest.raises(TypeError, match="Zeros: shape must be a tuple of non-negative integers"):
        Zeros()("abc")
    with pytest.raises(ValueError, match="Ones: shape must be a tuple of non-negative integers"):
        Ones()((3, -1))
