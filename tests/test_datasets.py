import numpy as np
import pytest

from sklearn_lstmae.datasets import (
    ANOMALY_KINDS,
    DEFAULT_ANOMALY_KINDS,
    STANCE,
    STREAM_ANOMALY_KINDS,
    SWING,
    make_gait_cycles,
    make_sensor_stream,
)

HIP, KNEE = 0, 1


def _percent(n_timesteps=51):
    return np.linspace(0.0, 100.0, n_timesteps)


def _window(lo, hi, n_timesteps=51):
    percent = _percent(n_timesteps)
    return (percent >= lo) & (percent <= hi)


def _peak(X, channel, lo, hi, *, argmin=False):
    """Per-cycle extreme value and its location (percent) inside [lo, hi]."""
    mask = _window(lo, hi, X.shape[1])
    part = X[:, mask, channel]
    idx = part.argmin(axis=1) if argmin else part.argmax(axis=1)
    return part[np.arange(len(X)), idx], _percent(X.shape[1])[mask][idx]


def _max_second_difference(X):
    """Largest |second difference| per cycle and channel, shape (n, 2)."""
    return np.abs(np.diff(X, n=2, axis=1)).max(axis=1)


def test_shapes_and_dtypes():
    X, y, kinds = make_gait_cycles(
        12, n_timesteps=33, anomaly_fraction=0.5, random_state=0
    )
    assert X.shape == (12, 33, 2)
    assert X.dtype == np.float64
    assert y.shape == kinds.shape == (12,)
    assert np.issubdtype(y.dtype, np.integer)
    assert kinds.dtype.kind == "U"
    assert np.isfinite(X).all()


def test_labels_match_kinds():
    _, y, kinds = make_gait_cycles(60, anomaly_fraction=0.4, random_state=1)
    assert set(y.tolist()) == {-1, 1}
    assert set(kinds.tolist()) == {"normal", *DEFAULT_ANOMALY_KINDS}
    _, _, kinds = make_gait_cycles(
        60, anomaly_fraction=0.4, anomaly_kinds=ANOMALY_KINDS, random_state=1
    )
    assert set(kinds.tolist()) == {"normal", *ANOMALY_KINDS}
    np.testing.assert_array_equal(y == 1, kinds == "normal")


@pytest.mark.parametrize(
    "n_samples, fraction, anomaly_kinds, expected",
    [
        (
            100,
            0.1,
            DEFAULT_ANOMALY_KINDS,
            {"stiff_knee": 4, "crouch": 3, "artefact": 3},
        ),
        (
            10,
            0.25,
            DEFAULT_ANOMALY_KINDS,
            {"stiff_knee": 1, "crouch": 1, "artefact": 1},
        ),
        (200, 0.05, ("crouch",), {"crouch": 10}),
        (50, 0.2, ("artefact", "crouch"), {"artefact": 5, "crouch": 5}),
        (7, 0.0, DEFAULT_ANOMALY_KINDS, {}),
    ],
)
def test_anomaly_count_and_split(n_samples, fraction, anomaly_kinds, expected):
    _, y, kinds = make_gait_cycles(
        n_samples,
        anomaly_fraction=fraction,
        anomaly_kinds=anomaly_kinds,
        random_state=0,
    )
    names, counts = np.unique(kinds[kinds != "normal"], return_counts=True)
    assert dict(zip(names.tolist(), counts.tolist(), strict=True)) == expected
    assert (y == -1).sum() == sum(expected.values())


def test_single_kind_may_be_given_as_string():
    _, _, kinds = make_gait_cycles(
        20, anomaly_fraction=0.2, anomaly_kinds="crouch", random_state=0
    )
    assert set(kinds.tolist()) == {"normal", "crouch"}


def test_samples_are_shuffled():
    n_samples = 300
    _, y, kinds = make_gait_cycles(n_samples, anomaly_fraction=0.3, random_state=0)
    anomalies = np.flatnonzero(y == -1)
    # Neither a block at the end nor at the start, and kinds are interleaved.
    assert anomalies.min() < n_samples - anomalies.size
    assert anomalies.max() >= anomalies.size
    assert (kinds[1:] != kinds[:-1]).sum() > 50


def test_same_seed_same_output_and_different_seeds_differ():
    kwargs = dict(n_samples=30, anomaly_fraction=0.3)
    first = make_gait_cycles(**kwargs, random_state=42)
    again = make_gait_cycles(**kwargs, random_state=42)
    from_instance = make_gait_cycles(**kwargs, random_state=np.random.RandomState(42))
    other = make_gait_cycles(**kwargs, random_state=43)
    for a, b, c in zip(first, again, from_instance, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert not np.allclose(first[0], other[0])
    assert not np.array_equal(first[2], other[2])


def test_noise_is_white_with_requested_std():
    # Without anomalies the noise is the last draw, so the same seed gives the
    # same underlying curves and the difference is the noise alone.
    clean, _, _ = make_gait_cycles(200, noise=0.0, random_state=0)
    noisy, _, _ = make_gait_cycles(200, noise=2.0, random_state=0)
    residual = noisy - clean
    assert residual.std() == pytest.approx(2.0, rel=0.05)
    assert abs(residual.mean()) < 0.05
    # Noise-free curves are smooth: no jumps between neighbouring samples.
    assert _max_second_difference(clean).max() < 4.0


@pytest.mark.parametrize("n_timesteps", [51, 101])
def test_every_normal_cycle_has_textbook_landmarks(n_timesteps):
    X, y, _ = make_gait_cycles(500, n_timesteps=n_timesteps, noise=0.0, random_state=0)
    assert (y == 1).all()

    assert np.all((X[:, 0, HIP] >= 20) & (X[:, 0, HIP] <= 40))
    hip_min, hip_min_at = _peak(X, HIP, 0, 100, argmin=True)
    assert np.all((hip_min >= -20) & (hip_min <= 0))
    assert np.all((hip_min_at >= 40) & (hip_min_at <= 65))
    hip_max, hip_max_at = _peak(X, HIP, *SWING)
    assert np.all((hip_max >= 25) & (hip_max <= 45))
    assert np.all((hip_max_at >= 75) & (hip_max_at <= 95))

    load, load_at = _peak(X, KNEE, 0, 30)
    assert np.all((load >= 10) & (load <= 25))
    assert np.all((load_at >= 5) & (load_at <= 25))
    swing, swing_at = _peak(X, KNEE, *SWING)
    assert np.all((swing >= 50) & (swing <= 70))
    assert np.all((swing_at >= 60) & (swing_at <= 80))
    # Near full extension in mid/terminal stance.
    assert np.all(X[:, _window(35, 50, n_timesteps), KNEE].min(axis=1) < 10)


def test_mean_normal_curve_with_default_noise():
    X, _, _ = make_gait_cycles(300, random_state=0)
    mean = X.mean(axis=0, keepdims=True)
    assert 25 <= mean[0, 0, HIP] <= 35
    hip_min, hip_min_at = _peak(mean, HIP, 0, 100, argmin=True)
    assert -15 <= hip_min[0] <= -5 and 45 <= hip_min_at[0] <= 60
    hip_max, hip_max_at = _peak(mean, HIP, *SWING)
    assert 30 <= hip_max[0] <= 40 and 80 <= hip_max_at[0] <= 92
    load, load_at = _peak(mean, KNEE, 0, 30)
    assert 14 <= load[0] <= 22 and 10 <= load_at[0] <= 18
    swing, swing_at = _peak(mean, KNEE, *SWING)
    assert 55 <= swing[0] <= 65 and 66 <= swing_at[0] <= 78


def _split(kind, **kwargs):
    X, _, kinds = make_gait_cycles(
        300, anomaly_fraction=0.5, anomaly_kinds=(kind,), random_state=0, **kwargs
    )
    return X[kinds == "normal"], X[kinds == kind]


def _largest_mean_difference(normal, anomalous):
    """Channel and percent where the mean anomalous curve departs most."""
    diff = np.abs(anomalous.mean(axis=0) - normal.mean(axis=0))
    step, channel = np.unravel_index(diff.argmax(), diff.shape)
    return channel, _percent(normal.shape[1])[step]


def test_stiff_knee_lowers_swing_knee_peak_only():
    normal, stiff = _split("stiff_knee")
    assert _peak(stiff, KNEE, *SWING)[0].max() < 40
    assert _peak(normal, KNEE, *SWING)[0].min() > 50
    stance = _window(0, 45)
    assert abs(stiff[:, stance, KNEE].mean() - normal[:, stance, KNEE].mean()) < 2
    assert abs(stiff[..., HIP].mean() - normal[..., HIP].mean()) < 2
    channel, where = _largest_mean_difference(normal, stiff)
    assert channel == KNEE and SWING[0] <= where <= SWING[1]


def test_crouch_flexes_stance_knee_only():
    normal, crouch = _split("crouch")
    stance = _window(*STANCE)
    crouch_stance = crouch[:, stance, KNEE].mean(axis=1)
    normal_stance = normal[:, stance, KNEE].mean(axis=1)
    assert crouch_stance.min() > normal_stance.max()
    assert crouch_stance.mean() > normal_stance.mean() + 10
    swing_diff = (
        _peak(crouch, KNEE, *SWING)[0].mean() - _peak(normal, KNEE, *SWING)[0].mean()
    )
    assert abs(swing_diff) < 3
    channel, where = _largest_mean_difference(normal, crouch)
    assert channel == KNEE and STANCE[0] <= where <= STANCE[1]


def test_artefact_corrupts_exactly_one_channel():
    normal, artefact = _split("artefact", noise=0.0)
    assert _max_second_difference(normal).max() < 4
    jumps = _max_second_difference(artefact) > 8
    np.testing.assert_array_equal(jumps.sum(axis=1), 1)
    # Both channels get hit, and both spikes and zero dropouts occur.
    assert set(jumps.argmax(axis=1).tolist()) == {HIP, KNEE}
    is_dropout = (artefact == 0.0).sum(axis=1).max(axis=1) >= 3
    assert 0 < is_dropout.sum() < len(artefact)


def test_artefact_stands_out_of_default_noise():
    from scipy.signal import medfilt

    X, _, kinds = make_gait_cycles(
        200,
        n_timesteps=101,
        anomaly_fraction=0.5,
        anomaly_kinds=("artefact",),
        random_state=0,
    )
    # A 13-sample median removes dropouts (<= 6 samples) and spikes but keeps
    # the smooth curve, so the residual isolates the artefact.
    smooth = medfilt(X, kernel_size=(1, 13, 1))
    residual = np.abs(X - smooth)[:, 6:-6].max(axis=1)
    assert residual[kinds == "normal"].max() < 8
    hit = residual[kinds == "artefact"] > 10
    # Artefacts in the first or last 6 samples are out of the filter's reach.
    assert hit.any(axis=1).mean() > 0.8
    assert not (hit.all(axis=1)).any()


def test_low_gain_shrinks_the_recording_about_its_mean():
    kwargs = dict(anomaly_fraction=0.5, anomaly_kinds="low_gain", random_state=0)
    X, _, kinds = make_gait_cycles(100, **kwargs)
    recorded = X[kinds == "low_gain"]
    mean = recorded.mean(axis=1, keepdims=True)
    excursion = np.ptp(recorded, axis=1)
    normal_excursion = np.ptp(X[kinds == "normal"], axis=1)
    # Noise widens every range a little, so the ratio is not the gain itself.
    ratio = excursion.mean(axis=0) / normal_excursion.mean(axis=0)
    assert np.all((ratio > 0.7) & (ratio < 0.85))
    # Same shape: each low-gain cycle correlates with the mean normal curve.
    template = X[kinds == "normal"].mean(axis=0)
    for cycle in recorded - mean:
        for channel in (HIP, KNEE):
            assert np.corrcoef(cycle[:, channel], template[:, channel])[0, 1] > 0.9


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "'n_samples' parameter"),
        ({"n_samples": 2.5}, "'n_samples' parameter"),
        ({"n_timesteps": 9}, "'n_timesteps' parameter"),
        ({"anomaly_fraction": 1.0}, "'anomaly_fraction' parameter"),
        ({"anomaly_fraction": -0.1}, "'anomaly_fraction' parameter"),
        ({"anomaly_kinds": ("limp",)}, r"unknown kind.*'limp'.*valid kinds"),
        ({"anomaly_kinds": ("crouch", "crouch")}, "duplicates"),
        ({"anomaly_kinds": 3}, "'anomaly_kinds' parameter"),
        ({"anomaly_kinds": (), "anomaly_fraction": 0.2}, "at least one kind"),
        ({"noise": -1.0}, "'noise' parameter"),
        ({"random_state": "seed"}, "'random_state' parameter"),
    ],
)
def test_invalid_parameters_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_gait_cycles(**kwargs)


def test_no_kinds_is_fine_without_anomalies():
    _, y, _ = make_gait_cycles(5, anomaly_kinds=(), random_state=0)
    assert (y == 1).all()


def _runs(mask):
    """(start, stop) of each run of True in a 1-D mask."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask, [0]]).astype(int)))
    return edges.reshape(-1, 2)


def test_sensor_stream_labels_one_run_per_anomaly():
    X, y, kinds = make_sensor_stream(6000, n_channels=2, n_anomalies=6, random_state=0)
    assert X.shape == (6000, 2) and y.shape == kinds.shape == (6000,)
    np.testing.assert_array_equal(y == -1, kinds != "normal")
    runs = _runs(y == -1)
    assert len(runs) == 6
    assert [kinds[start] for start, _ in runs] == list(STREAM_ANOMALY_KINDS) * 2
    lengths = {kinds[start]: stop - start for start, stop in runs}
    assert 1 <= lengths["spike"] <= 3
    assert 50 <= lengths["level_shift"] <= 150 and 50 <= lengths["rhythm"] <= 150


@pytest.mark.parametrize("kind", ["spike", "level_shift"])
def test_sensor_stream_jumps_exactly_at_the_labelled_edges(kind):
    """Without noise the rhythm is smooth; a spike or a shift is a jump."""
    X, y, _ = make_sensor_stream(
        4000, n_anomalies=4, anomaly_kinds=kind, noise=0.0, random_state=5
    )
    # |second difference| at point t, largest over channels.
    curvature = np.abs(np.diff(X, n=2, axis=0)).max(axis=1)
    edges = _runs(y == -1).ravel()
    near_edge = np.zeros(len(curvature), dtype=bool)
    for edge in edges:
        near_edge[max(edge - 2, 0) : edge + 1] = True
    assert curvature[~near_edge].max() < 0.1
    for edge in edges:
        assert curvature[max(edge - 2, 0) : edge + 1].max() > 0.3


def test_sensor_stream_channels_do_not_depend_on_the_seed():
    first, _, _ = make_sensor_stream(2000, noise=0.0, random_state=0)
    second, _, _ = make_sensor_stream(2000, noise=0.0, random_state=1)
    # The same shapes at drifting tempi: the channels' spread and their
    # correlations agree closely.
    np.testing.assert_allclose(first.std(axis=0), second.std(axis=0), rtol=0.05)
    np.testing.assert_allclose(np.corrcoef(first.T), np.corrcoef(second.T), atol=0.05)


def test_sensor_stream_is_reproducible():
    first = make_sensor_stream(1000, n_anomalies=1, random_state=3)
    second = make_sensor_stream(1000, n_anomalies=1, random_state=3)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_points": 1000, "n_anomalies": 5}, "at least 1500 points"),
        ({"n_anomalies": 1, "anomaly_kinds": ["drift"]}, "unknown kind"),
        ({"n_anomalies": 1, "anomaly_kinds": []}, "at least one kind"),
    ],
)
def test_sensor_stream_invalid_parameters_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_sensor_stream(**kwargs)
