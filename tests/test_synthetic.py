"""minisep.data.synthetic: the correlated-images generator does what its two knobs say, reproducibly.

Statistics are checked on a few hundred small images, with tolerances several standard errors wide.
"""

import numpy as np
import pytest

from minisep.data import synthetic


def rng(seed=0):
    return np.random.default_rng(seed)


def test_shapes_dtypes_and_label_range():
    x, y = synthetic.make_correlated_images(40, length=1.0, rho=0.5, rng=rng(), size=12)
    assert x.shape == (40, 3, 12, 12) and x.dtype == np.float32
    assert y.shape == (40,) and y.dtype == np.int64
    assert set(np.unique(y)) <= {0, 1, 2, 3}
    x4, y4 = synthetic.make_correlated_images(16, length=0.0, rho=0.2, rng=rng(), channels=4, size=8, dtype=np.float64)
    assert x4.shape == (16, 4, 8, 8) and x4.dtype == np.float64 and y4.max() < 8   # 2^(4-1) classes


def test_same_rng_state_same_data_and_different_seed_different_data():
    a = synthetic.make_correlated_images(20, length=1.5, rho=0.3, rng=rng(7))
    b = synthetic.make_correlated_images(20, length=1.5, rho=0.3, rng=rng(7))
    c = synthetic.make_correlated_images(20, length=1.5, rho=0.3, rng=rng(8))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_labels_are_balanced():
    _, y = synthetic.make_correlated_images(400, length=1.0, rho=0.0, rng=rng())
    assert np.bincount(y, minlength=4).tolist() == [100, 100, 100, 100]
    _, y = synthetic.make_correlated_images(402, length=1.0, rho=0.0, rng=rng())
    counts = np.bincount(y, minlength=4)
    assert counts.max() - counts.min() <= 1


def test_field_has_unit_variance_and_the_gaussian_correlation():
    for length in (1.0, 2.0):
        f = synthetic.gaussian_random_field(300, 2, 16, length, rng())
        assert abs(f.std() - 1) < 0.08
        for lag in (1, 2):
            expected = synthetic.expected_spatial_correlation(length, lag)
            assert abs(synthetic.spatial_correlation(f, lag) - expected) < 0.05, (length, lag)


def test_spatial_correlation_rises_with_the_smoothing_length():
    measured = [synthetic.spatial_correlation(synthetic.make_correlated_images(150, length=L, rho=0.0, rng=rng())[0])
                for L in (0.0, 0.5, 1.0, 2.0, 3.0)]
    assert abs(measured[0]) < 0.05   # white background: only the small patches correlate neighbours
    assert all(b > a + 0.02 for a, b in zip(measured, measured[1:])), measured


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.6, 0.9])
def test_cross_channel_correlation_tracks_rho(rho):
    x, _ = synthetic.make_correlated_images(200, length=1.0, rho=rho, rng=rng())
    corr = synthetic.channel_correlation(x)
    off_diagonal = corr[~np.eye(3, dtype=bool)]
    assert np.allclose(off_diagonal, rho, atol=0.05), corr
    # the spatial knob is untouched by the channel knob
    assert abs(synthetic.spatial_correlation(x) - synthetic.expected_spatial_correlation(1.0)) < 0.06


def test_mixing_matrix_gives_the_equicorrelation():
    for rho in (0.0, 0.5, 0.95, -0.4):
        m = synthetic.mixing_matrix(3, rho)
        np.testing.assert_allclose(m @ m.T, synthetic.equicorrelation(3, rho), atol=1e-12)
        np.testing.assert_allclose(m, m.T)


def test_class_codes_are_balanced_sign_patterns():
    codes = synthetic.class_codes(3)
    assert codes.shape == (4, 3) and set(np.unique(codes)) == {-1.0, 1.0}
    assert np.all(codes.prod(axis=1) == 1)                    # even number of minus signs
    np.testing.assert_array_equal(codes.sum(axis=0), 0)       # each channel: + in half the classes
    np.testing.assert_array_equal(codes.T @ codes, 4 * np.eye(3))   # pairs of channels: uncorrelated
    assert len(np.unique(codes, axis=0)) == 4


def test_gabor_patches_are_zero_mean_unit_norm_and_differ_per_channel():
    patches = [synthetic.gabor_patch(np.pi * c / 3) for c in range(3)]
    for g in patches:
        assert abs(g.sum()) < 1e-12 and abs(np.linalg.norm(g) - 1) < 1e-12
    assert abs(np.sum(patches[0] * patches[1])) < 0.9


def test_the_class_is_in_the_joint_signs_at_the_patch():
    # with the background negligible (amplitude 1e4 against unit-variance noise), the patch centre shows the code
    x, y = synthetic.make_correlated_images(8, length=0.0, rho=0.0, rng=rng(), amplitude=1e4)
    codes = synthetic.class_codes(3)
    for img, label in zip(x, y):
        peak = np.unravel_index(np.abs(img[0]).argmax(), img[0].shape)
        signs = np.sign([img[c][peak] for c in range(3)])
        # every (even) Gabor has its largest, positive value at its centre: the signs there are the code
        assert np.array_equal(signs, codes[label])


def test_bad_arguments_name_themselves():
    with pytest.raises(TypeError, match="rng"):  # as everywhere: a Generator, an int seed or None
        synthetic.make_correlated_images(4, length=1.0, rho=0.0, rng="seed")
    with pytest.raises(ValueError, match="rho"):
        synthetic.make_correlated_images(4, length=1.0, rho=1.5, rng=rng())
    with pytest.raises(ValueError, match="length"):
        synthetic.make_correlated_images(4, length=-1.0, rho=0.0, rng=rng())
    with pytest.raises(ValueError, match="amplitude"):
        synthetic.make_correlated_images(4, length=1.0, rho=0.0, rng=rng(), amplitude=float("nan"))
    with pytest.raises(ValueError, match="size"):
        synthetic.make_correlated_images(4, length=1.0, rho=0.0, rng=rng(), size=4)
    with pytest.raises(ValueError, match="spatial_correlation"):
        synthetic.spatial_correlation(np.zeros((2, 3, 4)))


def test_pattern_scale_is_the_signals_own_spatial_knob():
    default = synthetic.make_correlated_images(8, length=0.0, rho=0.5, rng=rng(3))
    same = synthetic.make_correlated_images(8, length=0.0, rho=0.5, rng=rng(3), pattern_scale=1.0)
    assert all(np.array_equal(a, b) for a, b in zip(default, same))    # scale 1 is the original 7x7 patch
    assert np.array_equal(synthetic.class_patterns(3, 1.0)[1], synthetic.gabor_patch(np.pi / 3))
    for scale, side in ((0.6, 5), (1.6, 11), (2.0, 13)):
        p = synthetic.class_patterns(3, scale)
        assert p.shape == (3, side, side) and synthetic.pattern_size(scale) == side
        assert np.allclose(p.sum(axis=(1, 2)), 0) and np.allclose(np.linalg.norm(p.reshape(3, -1), axis=1), 1)
    x, y = synthetic.make_correlated_images(8, length=0.0, rho=0.0, rng=rng(), pattern_scale=1.6)
    assert x.shape == (8, 3, 16, 16) and y.shape == (8,)
    with pytest.raises(ValueError, match="pattern_scale"):
        synthetic.make_correlated_images(4, length=0.0, rho=0.0, rng=rng(), pattern_scale=0.1)
    with pytest.raises(ValueError, match="larger than"):
        synthetic.make_correlated_images(4, length=0.0, rho=0.0, rng=rng(), size=8, pattern_scale=1.6)
