import numpy as np
import pytest

from sklearn_lstmae._calibration import AUTO_ROBUST_Z
from sklearn_lstmae._spread import spread_statistics, spread_z


def _sequences(rng, n_sequences, n_channels, spread_factor=1.0):
    """Noise whose channels' spreads vary from sequence to sequence, heavy-tailed.

    As speech frames' do: a normal sequence often has one channel far from
    its usual spread.
    """
    log_spreads = np.linspace(-1.0, 1.0, n_channels) + 0.2 * rng.standard_t(
        3, size=(n_sequences, 1, n_channels)
    )
    noise = rng.normal(size=(n_sequences, 40, n_channels))
    return spread_factor * np.exp(log_spreads) * noise


def test_one_channel_scores_its_absolute_z_beyond_the_typical():
    rng = np.random.default_rng(0)
    X_train, X = _sequences(rng, 100, 1), _sequences(rng, 50, 1)
    center, scale, typical = spread_statistics(X_train)
    z = np.abs(np.log(X.std(axis=1)) - center) / scale
    assert typical == pytest.approx(
        np.median(np.abs(np.log(X_train.std(axis=1)) - center) / scale)
    )
    np.testing.assert_allclose(
        spread_z(X, center, scale, typical), np.maximum(z[:, 0] - typical, 0)
    )


def test_many_channels_flag_a_calmer_sequence_not_one_unusual_channel():
    # Every channel at a fifth of its spread, against normal sequences whose
    # single channels stray that far now and then.
    rng = np.random.default_rng(0)
    X_train = _sequences(rng, 200, 12)
    statistics = spread_statistics(X_train)
    normal = spread_z(_sequences(rng, 500, 12), *statistics)
    calm = spread_z(_sequences(rng, 50, 12, spread_factor=0.2), *statistics)
    # Measured: 0.2 % of normal sequences beyond 'auto''s 3.5 (with the
    # largest channel's z-score, as before, 6.2 %); calm ones 4.2 and above.
    assert np.mean(normal > AUTO_ROBUST_Z) < 0.01
    assert np.all(calm > AUTO_ROBUST_Z)
