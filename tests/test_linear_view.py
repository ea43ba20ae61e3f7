import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score

from sklearn_lstmae import LSTMAnomalyDetector
from sklearn_lstmae._calibration import fused_errors
from sklearn_lstmae._linear_view import LinearView, linear_weight

from .conftest import TINY

N_STEPS = 320


def _long_curves(n_samples, n_bumps, seed):
    """Smooth 320-step curves of random amplitude and phase; some with a bump.

    The first ``n_bumps`` carry a narrow bump (height 1.5, about 8 steps
    wide) at a random place: outside the normal curves' linear span, so that
    PCA's residual finds it, while the curve's spread barely changes.
    """
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, N_STEPS)
    amplitude = rng.normal(1.0, 0.2, (n_samples, 1))
    phase = rng.normal(0.0, 0.3, (n_samples, 1))
    curves = amplitude * np.sin(2 * np.pi * t + phase) + 0.5 * np.sin(4 * np.pi * t)
    centers = rng.uniform(0.1, 0.9, n_bumps)
    curves[:n_bumps] += 1.5 * np.exp(-(((t - centers[:, None]) / 0.012) ** 2))
    curves += rng.normal(0, 0.05, curves.shape)
    return curves[..., np.newaxis]


def test_residuals_vanish_inside_the_training_span_and_not_outside():
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(3, 40, 2))
    training = np.einsum("nk,ktc->ntc", rng.normal(size=(50, 3)), basis) + 5.0
    view = LinearView.fit(training, n_components=3, standardize=True)
    inside = np.einsum("nk,ktc->ntc", rng.normal(size=(5, 3)), basis) + 5.0
    outside = inside + rng.normal(size=inside.shape)
    np.testing.assert_allclose(view.errors(inside), 0, atol=1e-20)
    assert np.all(view.errors(outside) > 0.1)
    assert len(view.components) == 3


def test_standardising_keeps_a_channel_in_large_units_from_deciding_alone():
    rng = np.random.default_rng(1)
    training = rng.normal(size=(200, 10, 2)) * np.array([1.0, 1000.0])
    errors = {
        standardize: LinearView.fit(training, 10, standardize).errors(training)
        for standardize in (True, False)
    }
    # Unstandardised, the 10 components go to the large channel's 10 steps and
    # only the small channel is left: about half of its standardised units.
    assert errors[False].mean() == pytest.approx(0.5, rel=0.2)
    assert errors[True].mean() < errors[False].mean()


def test_the_log_scale_has_floors_against_agreeing_calibration_residuals():
    rng = np.random.default_rng(2)
    training = rng.normal(size=(30, 20, 1))
    view = LinearView.fit(training, 3, standardize=True)
    # Two identical calibration sequences: their own spread is zero.
    view.calibrate(
        view.errors(np.repeat(training[:1], 2, axis=0)), view.errors(training)
    )
    training_scale = 1.4826 * np.median(
        np.abs(np.log(view.errors(training)) - np.median(np.log(view.errors(training))))
    )
    assert view.log_scale == pytest.approx(max(training_scale, 0.01))
    np.testing.assert_allclose(view.z(training[:1]), 0.0, atol=1e-9)


def test_fusion_averages_the_reconstruction_views_and_adds_the_spread_softly():
    errors = np.array([1.0, np.e**2, np.e**-2])
    log_center, log_scale = 0.0, 2.0  # error z-scores 0, 1 and -1
    np.testing.assert_array_equal(fused_errors(errors, log_center, log_scale), errors)
    # A typical spread (z = 0) changes nothing, however low the error.
    np.testing.assert_allclose(
        fused_errors(errors, log_center, log_scale, spread_z=np.zeros(3)), errors
    )
    # The linear view's z-score of 1 is averaged with the error's.
    linear = fused_errors(errors, log_center, log_scale, linear_z=np.ones(3))
    np.testing.assert_allclose(linear, np.exp(log_scale * np.array([0.5, 1, 0])))
    # An unusual spread (z = 6) decides, whatever the reconstruction says:
    # log(exp(z) + exp(6) - 1) is within 0.01 of 6 for z <= 1.
    spread = np.array([6.0, 6.0, 6.0])
    both = fused_errors(
        errors, log_center, log_scale, spread_z=spread, linear_z=np.full(3, -50.0)
    )
    np.testing.assert_allclose(np.log(both) / log_scale, 6.0, atol=0.01)


def test_the_view_that_fits_unseen_sequences_tighter_weighs_more():
    assert linear_weight([3.0, 30.0, 3.0], [1.0, 1.0, 0.0]) == pytest.approx(0.75)
    assert linear_weight([1.0, 2.0], [2.0, 1.0]) == pytest.approx(0.5)
    assert linear_weight([0.0], [0.0]) == 0.5
    errors = np.array([1.0, np.e**2, np.e**-2])  # z-scores 0, 1 and -1
    weighted = fused_errors(errors, 0.0, 2.0, linear_z=np.ones(3), linear_weight=0.75)
    np.testing.assert_allclose(np.log(weighted) / 2.0, [0.75, 1.0, 0.5])


def test_the_detector_weighs_its_views_by_their_calibration_errors(gait):
    X_train = gait[0]
    detector = LSTMAnomalyDetector(**TINY, random_state=0).fit(X_train)
    calibration = X_train[detector.calibration_indices(len(X_train))]
    squared = detector.reconstruction_error(calibration, reduce=None)
    network = (squared * detector.error_scale_ / detector.linear_scale_**2).mean((1, 2))
    linear = detector._linear_view().errors(calibration)
    expected = np.median(network) / (np.median(network) + np.median(linear))
    assert detector.linear_weight_ == pytest.approx(expected)
    # Barely trained, the network fits the cycles worse than PCA does.
    assert detector.linear_weight_ > 0.6


def test_the_linear_view_is_scored_and_saved_with_the_detector(gait, tmp_path):
    from sklearn_lstmae.persistence import load_estimator, save_estimator

    X_train, X_test = gait[0], gait[1]
    detector = LSTMAnomalyDetector(**TINY, random_state=0).fit(X_train)
    assert detector.n_linear_components_ == TINY["latent_dim"]
    assert detector.linear_components_.shape == (TINY["latent_dim"], 51, 2)
    plain = LSTMAnomalyDetector(**TINY, linear_view=False, random_state=0).fit(X_train)
    assert not hasattr(plain, "linear_components_")
    assert not np.allclose(detector.score_samples(X_test), plain.score_samples(X_test))
    save_estimator(detector, tmp_path / "detector.zip")
    restored = load_estimator(tmp_path / "detector.zip")
    np.testing.assert_array_equal(
        restored.score_samples(X_test), detector.score_samples(X_test)
    )


def test_defaults_detect_a_bump_on_long_curves_that_pca_detects():
    X_train = _long_curves(60, 0, seed=0)
    X_test = _long_curves(60, 20, seed=1)
    is_normal = np.arange(60) >= 20
    flat = X_train.reshape(60, -1)
    pca = PCA(n_components=4).fit(flat)
    pca_errors = (
        (pca.inverse_transform(pca.transform(X_test[..., 0])) - X_test[..., 0]) ** 2
    ).mean(1)
    assert roc_auc_score(is_normal, -pca_errors) > 0.95  # measured 1.000
    detectors = {
        linear_view: LSTMAnomalyDetector(
            lstm_units=(8,),
            latent_dim=4,
            epochs=2,
            linear_view=linear_view,
            random_state=0,
        ).fit(X_train)
        for linear_view in (True, False)
    }
    auc = {
        linear_view: roc_auc_score(is_normal, detector.score_samples(X_test))
        for linear_view, detector in detectors.items()
    }
    # Barely trained, the network alone ranks the bumps at chance (measured
    # 0.464); the linear view, calibrated on held-out curves, finds them
    # (measured 1.000).
    assert auc[True] > 0.9, auc
    assert auc[True] > auc[False] + 0.2, auc
