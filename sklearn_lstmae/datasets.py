"""Synthetic data sets with labelled anomalies.

``make_gait_cycles`` produces sagittal-plane hip and knee joint angles over one
gait cycle, i.e. the kind of short multivariate time series an LSTM
autoencoder is meant to model; ``make_sensor_stream`` one long multichannel
stream for :class:`~sklearn_lstmae.SlidingWindowDetector`. Outlier labels
follow the scikit-learn convention (``+1`` inlier, ``-1`` outlier).
"""

from math import floor
from numbers import Integral, Real

import numpy as np
from scipy.interpolate import CubicSpline
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

__all__ = ["make_gait_cycles", "make_sensor_stream"]

#: Stance phase, in percent of the gait cycle (heel strike to toe off).
STANCE = (0.0, 60.0)
#: Swing phase, in percent of the gait cycle (toe off to next heel strike).
SWING = (60.0, 100.0)
#: Valid values of ``anomaly_kinds``.
ANOMALY_KINDS = ("stiff_knee", "crouch", "artefact", "low_gain")
#: The kinds ``make_gait_cycles`` injects unless told otherwise.
DEFAULT_ANOMALY_KINDS = ("stiff_knee", "crouch", "artefact")
#: Valid values of ``make_sensor_stream``'s ``anomaly_kinds``.
STREAM_ANOMALY_KINDS = ("spike", "level_shift", "rhythm")
#: Channel order of the last axis of ``X``.
CHANNELS = ("hip_flexion", "knee_flexion")

# Keypoints (percent of cycle, degrees of flexion) of the template curves; the
# periodic spline through them reproduces the textbook shapes summarised in the
# Notes of `make_gait_cycles`. Extension is negative.
_HIP_KEYPOINTS = (
    (0, 30),
    (10, 27),
    (30, 8),
    (53, -10),
    (63, -2),
    (75, 22),
    (87, 35),
    (100, 30),
)
_KNEE_KEYPOINTS = (
    (0, 5),
    (12, 18),
    (25, 12),
    (40, 4),
    (50, 8),
    (60, 35),
    (72, 60),
    (85, 35),
    (95, 6),
    (100, 5),
)

# Normal between-cycle variability. Draws are clipped at +-2.5 standard
# deviations so that every normal cycle stays within the documented ranges.
_AMPLITUDE_SD = 0.05
_OFFSET_SD = (2.0, 1.5)  # hip, knee (deg); the knee barely hyperextends
_SHIFT_SD = 1.5  # percent of cycle
_CLIP_SD = 2.5

# Smooth injection windows (lo, hi, ramp) in percent of the cycle.
_STIFF_KNEE_WINDOW = (50.0, 100.0, 10.0)  # plateau on 60-90 %, pre-swing+swing
_CROUCH_WINDOW = (-12.0, 62.0, 12.0)  # plateau on 0-50 %, wraps into late swing

# A low-gain recording keeps this share of each channel's excursion.
_LOW_GAIN = (0.7, 0.85)

# make_sensor_stream: points per cycle of the base rhythm, how far the tempo
# drifts (a fraction of it) and over how many points; the second harmonic's
# weight range.
_STREAM_PERIOD = 50
_TEMPO_DRIFT = (0.05, 2000)
_HARMONIC_WEIGHT = (0.2, 0.5)
# Anomalies: spike heights and level shifts in multiples of the base rhythm's
# amplitude, spans of shifts and rhythm changes in periods, and how much
# faster a changed rhythm runs.
_SPIKE_HEIGHT = (2.0, 3.0)
_LEVEL_SHIFT = (0.4, 0.8)
_SPAN_PERIODS = (1.0, 3.0)
_RHYTHM_SPEED_UP = (1.25, 1.5)

# A dropout over a near-zero stretch of signal would be indistinguishable from
# a normal cycle, so dropouts are only placed where the angle is this large.
_DROPOUT_MIN_ABS = 15.0


def _template(phase):
    """Noise-free mean hip and knee curves at ``phase`` (percent, any real)."""
    curves = []
    for keypoints in (_HIP_KEYPOINTS, _KNEE_KEYPOINTS):
        x, y = np.asarray(keypoints, dtype=float).T
        spline = CubicSpline(x, y, bc_type="periodic", extrapolate="periodic")
        curves.append(spline(phase))
    return np.stack(curves, axis=-1)


def _template_means():
    """Cycle-average of each template curve, the centre of amplitude scaling."""
    return _template(np.linspace(0.0, 100.0, 1001)).mean(axis=0)


def _plateau(phase, lo, hi, ramp):
    """Periodic window: 1 on [lo + ramp, hi - ramp], raised-cosine ramps, else 0."""
    phase = np.mod(phase, 100.0)
    out = np.zeros_like(phase)
    # A window with lo < 0 or hi > 100 wraps around the heel strike.
    for p in (phase - 100.0, phase, phase + 100.0):
        rise = np.clip((p - lo) / ramp, 0.0, 1.0)
        fall = np.clip((hi - p) / ramp, 0.0, 1.0)
        w = 0.5 - 0.5 * np.cos(np.pi * np.minimum(rise, fall))
        out = np.maximum(out, w)
    return out


def _clipped_normal(rng, mean, sd, size):
    z = np.clip(rng.standard_normal(size), -_CLIP_SD, _CLIP_SD)
    return mean + sd * z


def _normal_cycles(n_samples, percent, rng):
    """Noise-free normal cycles and the own-phase of each, shape (n, T)."""
    shift = _clipped_normal(rng, 0.0, _SHIFT_SD, (n_samples, 1))
    amplitude = _clipped_normal(rng, 1.0, _AMPLITUDE_SD, (n_samples, 1, 2))
    offset = _clipped_normal(rng, 0.0, np.asarray(_OFFSET_SD), (n_samples, 1, 2))
    phase = percent[np.newaxis, :] - shift
    means = _template_means()
    X = (_template(phase) - means) * amplitude + means + offset
    return X, phase


def _stiff_knee(cycle, phase, rng):
    # Keep 45-55 % of the swing flexion: a ~60 deg peak drops to ~25-35 deg.
    keep = rng.uniform(0.45, 0.55)
    window = _plateau(phase, *_STIFF_KNEE_WINDOW)
    cycle[:, 1] *= 1.0 - (1.0 - keep) * window


def _crouch(cycle, phase, rng):
    # Crouch gait keeps the knee flexed through stance; the hip follows a little.
    extra = rng.uniform(22.0, 28.0)
    window = _plateau(phase, *_CROUCH_WINDOW)
    cycle[:, 1] += extra * window
    cycle[:, 0] += 0.25 * extra * window


def _low_gain(cycle, rng):
    # The recording, noise included, shrinks about its mean: same shape, smaller.
    gain = rng.uniform(*_LOW_GAIN)
    mean = cycle.mean(axis=0)
    cycle[:] = mean + gain * (cycle - mean)


def _artefact(cycle, rng):
    channel = rng.randint(2)
    signal = cycle[:, channel]
    n_timesteps = signal.shape[0]
    if rng.random_sample() < 0.5:
        width = rng.randint(1, 3)
        start = rng.randint(0, n_timesteps - width + 1)
        sign = rng.choice((-1.0, 1.0))
        signal[start : start + width] += sign * rng.uniform(25.0, 40.0)
        return
    length = rng.randint(3, 7)
    windows = np.lib.stride_tricks.sliding_window_view(np.abs(signal), length)
    smallest = windows.min(axis=1)
    candidates = np.flatnonzero(smallest >= _DROPOUT_MIN_ABS)
    if not candidates.size:
        candidates = [int(np.argmax(smallest))]
    start = rng.choice(candidates)
    signal[start : start + length] = 0.0


def _assign_kinds(n_samples, anomaly_fraction, anomaly_kinds, rng):
    """Per-sample kind names, anomalies split evenly over kinds, shuffled."""
    n_anomalies = int(floor(anomaly_fraction * n_samples + 0.5))
    if n_anomalies and not anomaly_kinds:
        raise ValueError(
            "The 'anomaly_kinds' parameter must name at least one kind when "
            f"anomaly_fraction > 0; got anomaly_kinds={anomaly_kinds!r}."
        )
    kinds = ["normal"] * (n_samples - n_anomalies)
    if n_anomalies:
        base, remainder = divmod(n_anomalies, len(anomaly_kinds))
        for i, kind in enumerate(anomaly_kinds):
            kinds += [kind] * (base + (i < remainder))
    return np.asarray(kinds, dtype=str)[rng.permutation(n_samples)]


def _check_kinds(anomaly_kinds, valid_kinds=ANOMALY_KINDS):
    if isinstance(anomaly_kinds, str):
        anomaly_kinds = (anomaly_kinds,)
    anomaly_kinds = tuple(anomaly_kinds)
    unknown = [k for k in anomaly_kinds if k not in valid_kinds]
    if unknown:
        raise ValueError(
            f"The 'anomaly_kinds' parameter contains unknown kind(s) {unknown!r}; "
            f"valid kinds are {list(valid_kinds)!r}."
        )
    if len(set(anomaly_kinds)) != len(anomaly_kinds):
        raise ValueError(
            "The 'anomaly_kinds' parameter must not contain duplicates; got "
            f"{list(anomaly_kinds)!r}."
        )
    return anomaly_kinds


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_timesteps": [Interval(Integral, 10, None, closed="left")],
        "anomaly_fraction": [Interval(Real, 0, 1, closed="left")],
        "anomaly_kinds": [str, list, tuple],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_gait_cycles(
    n_samples=200,
    *,
    n_timesteps=51,
    anomaly_fraction=0.0,
    anomaly_kinds=DEFAULT_ANOMALY_KINDS,
    noise=1.0,
    random_state=None,
):
    """Generate hip and knee flexion curves of gait cycles with labelled anomalies.

    Each sample is one gait cycle, from heel strike to the next heel strike of
    the same foot, sampled at ``np.linspace(0, 100, n_timesteps)`` percent of
    the cycle. Normal cycles are random variations of a textbook mean curve;
    anomalous cycles are normal cycles with one pathology or sensor artefact
    injected.

    Parameters
    ----------
    n_samples : int, default=200
        Number of gait cycles, at least 1.

    n_timesteps : int, default=51
        Number of samples per cycle, at least 10.

    anomaly_fraction : float, default=0.0
        Fraction of anomalous cycles, in ``[0, 1)``. The number of anomalies
        is ``anomaly_fraction * n_samples`` rounded half up, split as evenly as
        possible over ``anomaly_kinds`` (the first kinds get the remainder).

    anomaly_kinds : str or sequence of str, \
            default=("stiff_knee", "crouch", "artefact")
        Kinds of anomaly to inject; any of ``ANOMALY_KINDS``:
        ``"stiff_knee"``, ``"crouch"``, ``"artefact"`` and ``"low_gain"``,
        without duplicates. See Notes.

    noise : float, default=1.0
        Standard deviation, in degrees, of the white noise added to every
        time step of every channel. Must be non-negative.

    random_state : int, RandomState instance or None, default=None
        Seed or generator for all random draws, including the shuffling of
        the samples. Pass an int for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, 2), dtype float64
        Joint angles in degrees, flexion positive. Channel 0 is sagittal hip
        flexion, channel 1 is knee flexion (see ``CHANNELS``).

    y : ndarray of shape (n_samples,), dtype int
        ``+1`` for normal cycles and ``-1`` for anomalous ones.

    kinds : ndarray of shape (n_samples,), dtype str
        ``"normal"`` or the name of the anomaly injected into each cycle.

    Notes
    -----
    The template is a periodic cubic spline through keypoints chosen so that
    the mean curve matches the normal sagittal kinematics reported by Perry &
    Burnfield [1]_ and Winter [2]_ (angles in degrees, phase in percent):

    =====================  ==============  =============
    Event                  Template        Phase
    =====================  ==============  =============
    Hip at heel strike     30 flexion      0
    Hip peak extension     -10             ~52 (late stance)
    Hip peak flexion       35              ~88 (late swing)
    Knee at heel strike    5               0
    Knee loading peak      ~18.5           ~14
    Knee stance minimum    ~3.5            ~43
    Knee swing peak        60              ~73
    =====================  ==============  =============

    Each normal cycle scales each joint's curve about its cycle mean by a
    factor ~ N(1, 0.05), adds a per-joint offset ~ N(0, 2) deg (hip) and
    N(0, 1.5) deg (knee), and shifts the phase by ~ N(0, 1.5) percent of the
    cycle; these draws are clipped at 2.5 standard deviations. White noise of
    standard deviation ``noise`` is then added to every sample.

    Stance is taken as ``STANCE = (0, 60)`` and swing as ``SWING = (60, 100)``
    percent of the cycle. Pathologies are injected with smooth windows that
    move with the cycle's own phase shift:

    - ``"stiff_knee"``: knee flexion is scaled down by 45-55 % on a window
      that is flat over 60-90 % and tapers over 50-60 % and 90-100 %, so the
      swing knee peak is about 25-35 deg instead of ~60. Stance and the hip
      are unchanged.
    - ``"crouch"``: 22-28 deg of extra knee flexion on a window that is flat
      over 0-50 % and tapers over 50-62 % and 88-100 %, so the knee stays
      flexed by more than ~20 deg through stance (stance mean about 30-40 deg
      instead of 7-18); the hip gets a quarter of that extra flexion on the
      same window. The swing knee peak (60-80 %) is unchanged.
    - ``"low_gain"``: after the noise, both channels of the recording are
      scaled about their cycle mean by 0.70-0.85, as by a miscalibrated or
      slipping sensor. Not in the default kinds. The scaled cycle, noise
      included, is *easier* to reconstruct than a normal one (less noise,
      a shape a linear model spans), so a reconstruction error alone ranks
      it as normal: PCA's ROC-AUC is near or below 0.5 on it.
    - ``"artefact"``: after the noise is added, one channel chosen at random
      gets, with equal probability, either a spike (1 or 2 consecutive samples
      shifted by +-25-40 deg) anywhere in the cycle, or a dropout (a run of 3
      to 6 samples set to exactly 0.0 deg) placed where that channel's
      magnitude is at least 15 deg so that it is observable.

    References
    ----------
    .. [1] J. Perry and J. M. Burnfield, "Gait Analysis: Normal and
       Pathological Function", 2nd ed., SLACK Incorporated, 2010.
    .. [2] D. A. Winter, "Biomechanics and Motor Control of Human Movement",
       4th ed., John Wiley & Sons, 2009.

    Examples
    --------
    >>> from sklearn_lstmae.datasets import make_gait_cycles
    >>> X, y, kinds = make_gait_cycles(10, anomaly_fraction=0.3, random_state=0)
    >>> X.shape
    (10, 51, 2)
    >>> int((y == -1).sum())
    3
    >>> sorted(set(kinds.tolist()))
    ['artefact', 'crouch', 'normal', 'stiff_knee']
    """
    anomaly_kinds = _check_kinds(anomaly_kinds)
    rng = check_random_state(random_state)
    kinds = _assign_kinds(n_samples, anomaly_fraction, anomaly_kinds, rng)
    percent = np.linspace(0.0, 100.0, n_timesteps)
    X, phase = _normal_cycles(n_samples, percent, rng)
    for i in np.flatnonzero(kinds == "stiff_knee"):
        _stiff_knee(X[i], phase[i], rng)
    for i in np.flatnonzero(kinds == "crouch"):
        _crouch(X[i], phase[i], rng)
    X += noise * rng.standard_normal(X.shape)
    # Artefacts and a low gain corrupt the recorded signal: after the noise.
    for i in np.flatnonzero(kinds == "artefact"):
        _artefact(X[i], rng)
    for i in np.flatnonzero(kinds == "low_gain"):
        _low_gain(X[i], rng)
    y = np.where(kinds == "normal", 1, -1)
    return X, y, kinds


def _rhythm(n_points, speed, rng):
    """Phase in radians of a base rhythm whose tempo drifts; ``speed`` per point."""
    drift, drift_period = _TEMPO_DRIFT
    time = np.arange(n_points)
    tempo = 1.0 + drift * np.sin(2 * np.pi * time / drift_period + rng.uniform(0, 7))
    return 2 * np.pi * np.cumsum(speed * tempo) / _STREAM_PERIOD


def _spans(n_points, n_anomalies, rng):
    """One (start, length) span per anomaly, each in its own stretch of the stream."""
    stretch = n_points // n_anomalies
    longest = int(_SPAN_PERIODS[1] * _STREAM_PERIOD)
    if stretch < 2 * longest:
        raise ValueError(
            f"{n_anomalies} anomalies need at least {2 * longest * n_anomalies} "
            f"points ({2 * longest} per anomaly); got n_points={n_points}."
        )
    spans = []
    for i in range(n_anomalies):
        length = int(rng.uniform(*_SPAN_PERIODS) * _STREAM_PERIOD)
        start = i * stretch + rng.randint(longest // 2, stretch - longest)
        spans.append((start, length))
    return spans


@validate_params(
    {
        "n_points": [Interval(Integral, 1, None, closed="left")],
        "n_channels": [Interval(Integral, 1, None, closed="left")],
        "n_anomalies": [Interval(Integral, 0, None, closed="left")],
        "anomaly_kinds": [str, list, tuple],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_sensor_stream(
    n_points=10_000,
    *,
    n_channels=3,
    n_anomalies=0,
    anomaly_kinds=STREAM_ANOMALY_KINDS,
    noise=0.1,
    random_state=None,
):
    """Generate one long multichannel sensor stream with labelled anomalous spans.

    Every channel follows one shared base rhythm of about 50 points per
    cycle, whose tempo drifts slowly by up to 5 %: the fundamental plus a
    second harmonic, each channel with phases and a weight of its own, as
    the axes of an accelerometer on a walking person or the sensors of a
    machine in a cycle. The channels' shapes do not depend on
    ``random_state``: streams drawn with different seeds come from the same
    machine (tempo, noise and anomalies differ). Anomalies replace stretches
    of that behaviour.

    Parameters
    ----------
    n_points : int, default=10_000
        Length of the stream.

    n_channels : int, default=3
        Number of channels, at least 1.

    n_anomalies : int, default=0
        Number of anomalous spans, each in its own ``n_points // n_anomalies``
        stretch of the stream, so that they never overlap; at least 300
        points per anomaly.

    anomaly_kinds : str or sequence of str, \
            default=("spike", "level_shift", "rhythm")
        Kinds of anomaly to inject, taken in turn; any of
        ``STREAM_ANOMALY_KINDS``, without duplicates. See Notes.

    noise : float, default=0.1
        Standard deviation of the white noise added to every point of every
        channel, in multiples of the fundamental's amplitude.

    random_state : int, RandomState instance or None, default=None
        Seed or generator for all random draws. Pass an int for reproducible
        output.

    Returns
    -------
    X : ndarray of shape (n_points, n_channels), dtype float64
        The stream; rows are time.

    y : ndarray of shape (n_points,), dtype int
        ``+1`` for normal points and ``-1`` for points in an anomaly.

    kinds : ndarray of shape (n_points,), dtype str
        ``"normal"`` or the kind of the anomaly at each point.

    Notes
    -----
    - ``"spike"``: 1 to 3 consecutive points of one channel jump by 3 to 5
      times the fundamental's amplitude, up or down.
    - ``"level_shift"``: one channel is offset by 1 to 1.5 amplitudes for 1
      to 3 cycles.
    - ``"rhythm"``: every channel runs 1.6 to 2 times faster for 1 to 3
      cycles; the stream goes on from the phase reached, as a machine that
      speeds up and back would.

    Examples
    --------
    >>> from sklearn_lstmae.datasets import make_sensor_stream
    >>> X, y, kinds = make_sensor_stream(3000, n_anomalies=3, random_state=0)
    >>> X.shape
    (3000, 3)
    >>> sorted(set(kinds.tolist()))
    ['level_shift', 'normal', 'rhythm', 'spike']
    """
    anomaly_kinds = _check_kinds(anomaly_kinds, STREAM_ANOMALY_KINDS)
    if n_anomalies and not anomaly_kinds:
        raise ValueError(
            "The 'anomaly_kinds' parameter must name at least one kind when "
            f"n_anomalies > 0; got anomaly_kinds={anomaly_kinds!r}."
        )
    rng = check_random_state(random_state)
    spans = _spans(n_points, n_anomalies, rng) if n_anomalies else []
    kinds = np.full(n_points, "normal", dtype=object)
    for (start, length), kind in zip(
        spans, np.resize(anomaly_kinds, len(spans)), strict=True
    ):
        if kind == "spike":
            length = rng.randint(1, 4)
        kinds[start : start + length] = kind
    speed = np.where(kinds == "rhythm", rng.uniform(*_RHYTHM_SPEED_UP), 1.0)
    phase = _rhythm(n_points, speed, rng)[:, np.newaxis]
    # The channels' shapes are the same in every stream: one machine, many runs.
    channel = np.arange(n_channels) / n_channels
    weight = np.interp(channel, [0, 1], _HARMONIC_WEIGHT)
    X = np.sin(phase + 2 * np.pi * channel) + weight * np.sin(
        2 * phase - np.pi * channel
    )
    X += noise * rng.standard_normal(X.shape)
    for kind, (low, high) in (("spike", _SPIKE_HEIGHT), ("level_shift", _LEVEL_SHIFT)):
        _offset_spans(X, kinds == kind, (low, high), rng)
    y = np.where(kinds == "normal", 1, -1)
    return X, y, kinds.astype(str)


def _offset_spans(X, in_span, size_range, rng):
    """Offset one random channel by +-``size_range`` on each run of ``in_span``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], in_span, [0]]).astype(int)))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        channel = rng.randint(X.shape[1])
        X[start:stop, channel] += rng.choice((-1.0, 1.0)) * rng.uniform(*size_range)
