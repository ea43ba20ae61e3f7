"""The calibration module's guarantees, on exchangeable scores (no network)."""

import numpy as np
import pytest

from sklearn_lstmae import LSTMAnomalyDetector, make_gait_cycles, select_fdr
from sklearn_lstmae._calibration import (
    calibrated_offset,
    conformal_offset,
    p_values,
    split_calibration,
)

from .conftest import TINY

N_TRIALS = 4000


def _false_alarm_rates(offset_rule, n_calibration, alpha, seed=0):
    """Per trial, the share of 200 new normal scores below the rule's offset."""
    rng = np.random.default_rng(seed)
    calibration = rng.standard_normal((N_TRIALS, n_calibration))
    new = rng.standard_normal((N_TRIALS, 200))
    offsets = np.array([offset_rule(scores, alpha) for scores in calibration])
    return (new < offsets[:, np.newaxis]).mean(axis=1)


def _plain_percentile(scores, alpha):
    """The rule before calibration existed: a percentile of the scores."""
    return np.percentile(scores, 100 * alpha)


@pytest.mark.parametrize("n_calibration", [9, 12, 40, 199])
@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.2])
def test_conformal_threshold_keeps_the_false_alarm_rate(n_calibration, alpha):
    rates = _false_alarm_rates(conformal_offset, n_calibration, alpha)
    # The mean over trials estimates P(flag) to within ~4 standard errors.
    standard_error = rates.std() / np.sqrt(N_TRIALS)
    assert rates.mean() <= alpha + 4 * standard_error
    # Not vacuous: with n + 1 a multiple of 1 / alpha the rate is alpha.
    rank = np.floor(alpha * (n_calibration + 1) + 1e-9)
    assert rates.mean() == pytest.approx(rank / (n_calibration + 1), abs=0.01)


@pytest.mark.parametrize("n_calibration", [9, 12])
def test_a_plain_percentile_breaks_the_rate_on_small_calibration_sets(n_calibration):
    rates = _false_alarm_rates(_plain_percentile, n_calibration, 0.1)
    standard_error = rates.std() / np.sqrt(N_TRIALS)
    assert rates.mean() > 0.1 + 10 * standard_error


def test_p_values_count_the_calibration_scores_at_or_below():
    calibration = np.array([-5.0, -3.0, -3.0, -1.0])
    np.testing.assert_allclose(
        p_values(calibration, np.array([-6.0, -5.0, -3.0, -2.0, 0.0])),
        np.array([1, 2, 4, 4, 5]) / 5,
    )


def test_normal_p_values_are_uniform_at_every_level():
    rng = np.random.default_rng(1)
    calibration = np.sort(rng.standard_normal((N_TRIALS, 19)), axis=1)
    new = rng.standard_normal(N_TRIALS)
    values = np.array(
        [p_values(scores, [x])[0] for scores, x in zip(calibration, new, strict=True)]
    )
    for level in np.arange(1, 21) / 20:
        assert np.mean(values <= level) <= level + 4 * np.sqrt(level / N_TRIALS)
    assert np.mean(values <= 0.5) >= 0.5 - 4 * np.sqrt(0.25 / N_TRIALS)


@pytest.mark.parametrize("n_calibration", [19, 30, 99, 100, 299])
@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.07, 0.1, 0.29, 0.3, 0.5])
def test_the_offset_flags_exactly_the_p_values_at_most_alpha(n_calibration, alpha):
    rng = np.random.default_rng(n_calibration)
    calibration = np.sort(rng.standard_normal(n_calibration))
    # The calibration scores themselves, where a tie decides, and others.
    scores = np.concatenate([calibration, rng.standard_normal(500)])
    flagged = scores < conformal_offset(calibration, alpha)
    np.testing.assert_array_equal(flagged, p_values(calibration, scores) <= alpha)


def test_nothing_is_flagged_below_the_smallest_p_value():
    calibration = np.arange(9.0)
    assert conformal_offset(calibration, 0.05) == -np.inf
    assert calibrated_offset(calibration, 0.1) == 0.0
    assert calibrated_offset(calibration, "auto", auto=-3.0) == -3.0


def _bh_trials(q, seed=0, n_trials=500):
    """False-discovery proportion and power of select_fdr per trial."""
    rng = np.random.default_rng(seed)
    proportions, power = [], []
    for _ in range(n_trials):
        calibration = np.sort(rng.standard_normal(1000))
        normal = rng.standard_normal(180)
        anomalies = rng.standard_normal(20) - 4.0
        is_anomaly = np.r_[np.zeros(180, bool), np.ones(20, bool)]
        flagged = select_fdr(p_values(calibration, np.r_[normal, anomalies]), q)
        proportions.append((flagged & ~is_anomaly).sum() / max(flagged.sum(), 1))
        power.append((flagged & is_anomaly).mean() / is_anomaly.mean())
    return np.array(proportions), np.array(power)


@pytest.mark.parametrize("q", [0.05, 0.2])
def test_benjamini_hochberg_keeps_the_false_discovery_rate(q):
    proportions, power = _bh_trials(q)
    assert proportions.mean() <= q + 4 * proportions.std() / np.sqrt(len(proportions))
    # It does select anomalies (with 1000 calibration scores the smallest
    # p-value, 1/1001, is low enough for BH's first line at q / 200).
    assert power.mean() > 0.5


def test_select_fdr_is_the_step_up_rule():
    # Sorted: 0.001 <= 0.0125, 0.01 <= 0.025, 0.03 <= 0.0375, 0.2 > 0.05.
    p = np.array([0.2, 0.01, 0.03, 0.001])
    np.testing.assert_array_equal(select_fdr(p, 0.05), [False, True, True, True])
    # Step-up: a p-value over its own line still passes if a later one is under.
    np.testing.assert_array_equal(
        select_fdr(np.array([0.02, 0.024]), 0.05), [True, True]
    )
    assert not select_fdr(np.array([0.5, 0.9]), 0.05).any()


@pytest.mark.parametrize(
    ("p", "q", "match"),
    [
        (np.zeros((2, 2)), 0.1, "1-D array"),
        (np.array([0.1, 1.5]), 0.1, r"in \[0, 1\]"),
        (np.array([0.1, np.nan]), 0.1, r"in \[0, 1\]"),
        (np.array([0.1]), 0.0, r"rate in \(0, 1\)"),
    ],
)
def test_select_fdr_refuses_what_is_not_p_values(p, q, match):
    with pytest.raises(ValueError, match=match):
        select_fdr(p, q)


def test_split_calibration_holds_out_a_random_share():
    fit, held_out = split_calibration(100, 0.2, 0)
    assert len(held_out) == 20 and len(fit) == 80
    assert np.intersect1d(fit, held_out).size == 0
    assert (np.diff(held_out) > 0).all() and held_out.max() > 80 > held_out.min()
    np.testing.assert_array_equal(held_out, split_calibration(100, 0.2, 0)[1])
    assert len(split_calibration(100, 0, 0)[1]) == 0
    with pytest.raises(ValueError, match="calibration_split=0.2 of 1 samples"):
        split_calibration(1, 0.2, 0)


def test_a_handful_of_calibration_sequences_is_said_plainly():
    X, _, _ = make_gait_cycles(10, random_state=0)
    with pytest.warns(UserWarning, match=r"cannot go below 1/\(n\+1\) = 0.333"):
        LSTMAnomalyDetector(**TINY, random_state=0).fit(X)
    with pytest.warns(UserWarning, match="will flag nothing"):
        LSTMAnomalyDetector(**TINY, contamination=0.1, random_state=0).fit(X)


def test_a_calibration_split_that_leaves_nothing_is_refused_before_keras():
    X, _, _ = make_gait_cycles(12, random_state=0)
    detector = LSTMAnomalyDetector(**TINY, calibration_split=0.95)
    with pytest.raises(ValueError, match="0.95 of 12 samples leaves no sample to"):
        detector.fit(X)
    assert not hasattr(detector, "model_")
