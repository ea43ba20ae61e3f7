import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_lstmae import LSTMAnomalyDetector, LSTMAutoencoderTransformer
from sklearn_lstmae.plotting import (
    AttentionDisplay,
    ErrorHeatmapDisplay,
    LatentSpaceDisplay,
    ReconstructionDisplay,
    ScoreHistogramDisplay,
    StreamDisplay,
)
from sklearn_lstmae.plotting._latent_space import _project_2d

from .conftest import TINY

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")

CHANNELS = ["hip", "knee"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data(gait):
    X_train, X_test, y_test, kinds_test = gait
    return X_train, X_test[:40], y_test[:40], kinds_test[:40]


@pytest.fixture(scope="module")
def detector(data):
    return LSTMAnomalyDetector(**TINY, contamination=0.1, random_state=0).fit(data[0])


@pytest.fixture(scope="module")
def attention_detector(data):
    return LSTMAnomalyDetector(**TINY, use_attention=True, random_state=0).fit(data[0])


@pytest.fixture(scope="module")
def transformer(data):
    params = {**TINY, "latent_dim": 3}
    return LSTMAutoencoderTransformer(**params, random_state=0).fit(data[0])


@pytest.fixture(scope="module")
def scaled_detector(data):
    """StandardScaler + detector on 2-D time-major input."""
    X_train = data[0]
    pipeline = make_pipeline(
        StandardScaler(),
        LSTMAnomalyDetector(**TINY, input_shape=(51, 2), random_state=0),
    )
    return pipeline.fit(X_train.reshape(len(X_train), -1))


# -- missing matplotlib ---------------------------------------------------------

DISPLAYS = {
    "reconstruction": lambda: ReconstructionDisplay(np.zeros((5, 2)), np.zeros((5, 2))),
    "heatmap": lambda: ErrorHeatmapDisplay(np.zeros((5, 2))),
    "histogram": lambda: ScoreHistogramDisplay(np.arange(5.0)),
    "attention": lambda: AttentionDisplay(np.full((5, 5), 0.2)),
    "latent": lambda: LatentSpaceDisplay(np.zeros((5, 2))),
    "stream": lambda: StreamDisplay(np.zeros((5, 2)), np.zeros(5)),
}


@pytest.fixture
def no_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)


@pytest.mark.parametrize("name", DISPLAYS)
def test_plot_without_matplotlib_says_how_to_install_it(no_matplotlib, name):
    with pytest.raises(ImportError, match=r"pip install 'sklearn-lstmae\[plot\]'"):
        DISPLAYS[name]().plot()


@pytest.mark.parametrize(
    "display",
    [ReconstructionDisplay, ErrorHeatmapDisplay, ScoreHistogramDisplay, StreamDisplay],
)
def test_from_estimator_without_matplotlib_fails_first(
    no_matplotlib, display, detector, data
):
    with pytest.raises(ImportError, match=rf"{display.__name__}\.from_estimator"):
        display.from_estimator(detector, data[1])


# -- estimator checks shared by every display ------------------------------------


def test_from_estimator_refuses_other_estimators(data):
    X = data[0].reshape(len(data[0]), -1)
    scaler = StandardScaler().fit(X)
    with pytest.raises(TypeError, match="LSTMAnomalyDetector, or a Pipeline"):
        ErrorHeatmapDisplay.from_estimator(scaler, X)


def test_from_estimator_requires_a_fitted_estimator(data):
    with pytest.raises(NotFittedError):
        ReconstructionDisplay.from_estimator(LSTMAnomalyDetector(), data[1])


# -- ReconstructionDisplay -------------------------------------------------------


def test_reconstruction_display_draws_one_panel_per_channel(detector, data):
    X_train, X_test = data[0], data[1]
    display = ReconstructionDisplay.from_estimator(
        detector,
        X_test,
        index=3,
        X_normal=X_train,
        channel_names=CHANNELS,
        ylabel="angle (deg)",
    )
    assert [ax.get_title() for ax in display.axes_] == CHANNELS
    assert [ax.get_ylabel() for ax in display.axes_] == ["angle (deg)"] * 2
    assert display.axes_[-1].get_xlabel() == "time step"
    for c, ax in enumerate(display.axes_):
        assert len(ax.lines) == 2 and len(ax.collections) == 1  # band
        original, reconstruction = display.lines_[c]
        np.testing.assert_allclose(original.get_ydata(), X_test[3, :, c])
        expected = detector.reconstruct(X_test[3:4])[0, :, c]
        np.testing.assert_allclose(reconstruction.get_ydata(), expected, rtol=1e-5)
    legend = [text.get_text() for text in display.axes_[0].get_legend().get_texts()]
    assert legend == ["normal (mean ± 2 SD)", "original", "reconstruction"]
    np.testing.assert_allclose(display.band_mean, X_train.mean(axis=0))


def test_reconstruction_display_band_defaults_to_x(detector, data):
    display = ReconstructionDisplay.from_estimator(detector, data[1])
    np.testing.assert_allclose(display.band_std, data[1].std(axis=0))
    assert display.axes_[0].get_title() == "channel 0"


def test_reconstruction_display_uses_the_given_axes(detector, data):
    figure, axes = plt.subplots(1, 2)
    display = ReconstructionDisplay.from_estimator(detector, data[1], ax=axes)
    assert list(display.axes_) == list(axes)
    assert display.figure_ is figure
    with pytest.raises(ValueError, match=r"one Axes per channel \(2\); got 1"):
        ReconstructionDisplay.from_estimator(detector, data[1], ax=axes[0])


def test_reconstruction_display_takes_a_negative_index(detector, data):
    display = ReconstructionDisplay.from_estimator(detector, data[1], index=-1)
    np.testing.assert_allclose(display.original, data[1][-1])
    with pytest.raises(IndexError):
        ReconstructionDisplay.from_estimator(detector, data[1], index=len(data[1]))


def test_reconstruction_display_checks_channel_names(detector, data):
    with pytest.raises(ValueError, match="3 names for 2 channels"):
        ReconstructionDisplay.from_estimator(
            detector, data[1], channel_names=["a", "b", "c"]
        )


def test_reconstruction_display_undoes_a_pipeline_scaler(scaled_detector, data):
    X_2d = data[1].reshape(len(data[1]), -1)
    display = ReconstructionDisplay.from_estimator(scaled_detector, X_2d, index=2)
    scaler, lstm = scaled_detector[0], scaled_detector[-1]
    in_degrees = scaler.inverse_transform(lstm.reconstruct(scaler.transform(X_2d)))
    np.testing.assert_allclose(display.original, data[1][2])
    np.testing.assert_allclose(
        display.reconstruction, in_degrees[2].reshape(51, 2), rtol=1e-4, atol=1e-4
    )


# -- ErrorHeatmapDisplay ---------------------------------------------------------


def test_error_heatmap_shows_mean_error_per_step_and_channel(detector, data):
    X = data[1][:5]
    percent = np.linspace(0, 100, 51)
    display = ErrorHeatmapDisplay.from_estimator(
        detector, X, time=percent, channel_names=CHANNELS, xlabel="cycle (%)"
    )
    expected = detector.reconstruction_error(X, reduce=None).mean(axis=0).T
    np.testing.assert_allclose(display.im_.get_array(), expected, rtol=1e-6)
    ticks = [label.get_text() for label in display.ax_.get_yticklabels()]
    assert ticks == CHANNELS
    assert display.ax_.get_xlabel() == "cycle (%)"
    assert display.ax_.get_title() == (
        "normalised squared reconstruction error (mean of 5 sequences)"
    )
    assert display.colorbar_.ax.get_ylabel() == "squared error / typical"
    assert display.ax_.get_xlim() == pytest.approx((-1.0, 101.0))


def test_error_heatmap_uses_the_given_axes_and_can_skip_the_colorbar(detector, data):
    figure, ax = plt.subplots()
    display = ErrorHeatmapDisplay.from_estimator(
        detector, data[1][:1], ax=ax, colorbar=False
    )
    assert display.ax_ is ax and display.figure_ is figure
    assert display.colorbar_ is None and len(figure.axes) == 1
    assert display.ax_.get_title() == "normalised squared reconstruction error"


def test_error_heatmap_of_plain_errors_says_so(data):
    detector = LSTMAnomalyDetector(**TINY, normalize_errors=False, random_state=0)
    display = ErrorHeatmapDisplay.from_estimator(detector.fit(data[0]), data[1][:2])
    assert (
        display.ax_.get_title() == "squared reconstruction error (mean of 2 sequences)"
    )
    assert display.colorbar_.ax.get_ylabel() == "squared error"


# -- ScoreHistogramDisplay -------------------------------------------------------


def _bar_heights(display):
    return sum(patch.get_height() for bars in display.patches_ for patch in bars)


def test_score_histogram_splits_by_label_with_the_threshold(detector, data):
    X, y = data[1], data[2]
    display = ScoreHistogramDisplay.from_estimator(detector, X, y)
    assert display.ax_.get_xlabel() == "score_samples (higher = more normal)"
    assert display.ax_.get_ylabel() == "number of sequences"
    assert len(display.patches_) == 2
    assert _bar_heights(display) == len(X)
    assert display.threshold_line_.get_xdata()[0] == pytest.approx(detector.offset_)
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend[:2] == ["normal (+1)", "anomaly (-1)"]
    assert legend[2].startswith("threshold (")


def test_score_histogram_of_errors_on_a_log_axis(scaled_detector, data):
    X_2d = data[1].reshape(len(data[1]), -1)
    display = ScoreHistogramDisplay.from_estimator(
        scaled_detector,
        X_2d,
        data[3],
        response_method="reconstruction_error",
        log_scale=True,
        bins=10,
    )
    assert display.ax_.get_xscale() == "log"
    assert display.ax_.get_xlabel().startswith("reconstruction error")
    threshold = scaled_detector[-1].threshold_
    assert display.threshold_line_.get_xdata()[0] == pytest.approx(threshold)
    assert len(display.patches_) == len(np.unique(data[3]))
    assert all(len(bars) == 10 for bars in display.patches_)
    # Normal cycles come first whatever the alphabet says.
    assert display.ax_.get_legend().get_texts()[0].get_text() == "normal"


def test_score_histogram_of_a_detector_that_flags_nothing_has_no_threshold(data):
    # A contamination below every p-value (1/25 with 24 of 120 held out).
    with pytest.warns(UserWarning, match="will flag nothing"):
        flags_nothing = LSTMAnomalyDetector(
            **TINY, contamination=0.01, random_state=0
        ).fit(data[0])
    display = ScoreHistogramDisplay.from_estimator(flags_nothing, data[1], data[2])
    assert display.threshold_line_ is None
    assert _bar_heights(display) == len(data[1])


def test_score_histogram_of_a_transformer_has_no_threshold(transformer, data):
    display = ScoreHistogramDisplay.from_estimator(transformer, data[1])
    assert display.threshold_line_ is None
    assert display.ax_.get_legend() is None
    assert _bar_heights(display) == len(data[1])


def test_score_histogram_rejects_bad_arguments(detector, data):
    with pytest.raises(ValueError, match="response_method must be"):
        ScoreHistogramDisplay.from_estimator(
            detector, data[1], response_method="decision_function"
        )
    with pytest.raises(ValueError, match="log_scale=True needs positive scores"):
        ScoreHistogramDisplay.from_estimator(detector, data[1], log_scale=True)


def test_score_histogram_from_predictions_uses_the_given_axes():
    figure, ax = plt.subplots()
    display = ScoreHistogramDisplay.from_predictions(
        None, np.arange(10.0), threshold=4.5, score_name="my score", ax=ax, bins=5
    )
    assert display.ax_ is ax and display.figure_ is figure
    assert display.ax_.get_xlabel() == "my score"
    assert len(display.patches_) == 1 and _bar_heights(display) == 10


def test_score_histogram_of_one_label_and_of_equal_scores():
    display = ScoreHistogramDisplay([1.0, 1.0, 1.0], y=[1, 1, 1]).plot(bins=4)
    assert len(display.patches_) == 1 and _bar_heights(display) == 3
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["normal (+1)"]


def test_score_histogram_names_only_signed_labels():
    display = ScoreHistogramDisplay(np.arange(4.0), y=[0, 1, 0, 1]).plot()
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["1", "0"]


# -- AttentionDisplay ------------------------------------------------------------


def test_attention_display_shows_the_mean_map(attention_detector, data):
    X = data[1][:6]
    display = AttentionDisplay.from_estimator(attention_detector, X)
    expected = attention_detector.attention_weights(X)["encoder_attention"]
    np.testing.assert_allclose(display.im_.get_array(), expected.mean(axis=0))
    assert display.ax_.get_title() == "encoder attention (mean of 6 sequences)"
    assert display.ax_.get_xlabel() == "attended time step (key)"
    assert display.ax_.get_ylabel() == "attending time step (query)"
    assert "uniform: 0.0196" in display.colorbar_.ax.get_ylabel()


def test_attention_display_of_one_sequence_of_the_decoder(attention_detector, data):
    figure, ax = plt.subplots()
    display = AttentionDisplay.from_estimator(
        attention_detector, data[1], layer="decoder_attention", index=4, ax=ax
    )
    assert display.ax_ is ax and display.figure_ is figure
    assert display.ax_.get_title() == "decoder attention"
    expected = attention_detector.attention_weights(data[1][4:5])
    np.testing.assert_allclose(
        display.im_.get_array(), expected["decoder_attention"][0], rtol=1e-5
    )


def test_attention_display_errors(detector, attention_detector, data):
    with pytest.raises(ValueError, match="use_attention=False"):
        AttentionDisplay.from_estimator(detector, data[1])
    with pytest.raises(ValueError, match="layer must be one of"):
        AttentionDisplay.from_estimator(attention_detector, data[1], layer="encoder")


# -- LatentSpaceDisplay ----------------------------------------------------------


def test_latent_space_projects_to_principal_components(transformer, data):
    X, kinds = data[1], data[3]
    display = LatentSpaceDisplay.from_estimator(transformer, X, kinds)
    assert display.ax_.get_xlabel().startswith("PC 1 (")
    assert display.ax_.get_ylabel().endswith("% of variance)")
    assert display.ax_.get_title() == "latent space"
    assert len(display.collections_) == len(np.unique(kinds))
    assert sum(len(c.get_offsets()) for c in display.collections_) == len(X)
    labels = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert labels[0] == "normal"


def test_latent_space_of_a_two_feature_pipeline(data):
    X_train = data[0].reshape(len(data[0]), -1)
    pipeline = make_pipeline(
        StandardScaler(),
        LSTMAutoencoderTransformer(**TINY, input_shape=(51, 2), random_state=0),
    ).fit(X_train)
    figure, ax = plt.subplots()
    X = data[1].reshape(len(data[1]), -1)
    display = LatentSpaceDisplay.from_estimator(pipeline, X, ax=ax)
    assert display.ax_ is ax and display.figure_ is figure
    assert display.ax_.get_xlabel() == "latent feature 0"
    np.testing.assert_allclose(
        display.collections_[0].get_offsets(), pipeline.transform(X), rtol=1e-6
    )
    assert display.ax_.get_legend() is None


def test_latent_space_needs_transform(detector, data):
    with pytest.raises(TypeError, match="needs an estimator with transform"):
        LatentSpaceDisplay.from_estimator(detector, data[1])


def test_one_latent_feature_is_drawn_on_a_line():
    embedding, labels = _project_2d(np.arange(5.0)[:, np.newaxis])
    assert embedding.shape == (5, 2) and not embedding[:, 1].any()
    assert labels == ("latent feature 0", "")


# -- StreamDisplay ---------------------------------------------------------------


def _stream(n_points):
    """Two channels of sines, ``(n_points, 2)``."""
    t = np.arange(n_points)
    return np.column_stack([np.sin(t / 8), np.cos(t / 5)])


def _span_x(patch):
    """Left and right edge of an ``axvspan`` patch, in data units."""
    x = patch.get_patch_transform().transform(patch.get_path().vertices)[:, 0]
    return x.min(), x.max()


def test_stream_display_draws_channels_over_the_scores():
    stream, scores = _stream(200), np.linspace(0.0, 1.0, 200)
    display = StreamDisplay.from_scores(stream, scores, channel_names=CHANNELS)
    assert len(display.axes_) == 3 and display.ax_ is display.axes_[-1]
    assert display.figure_ is display.ax_.figure
    assert [ax.get_title() for ax in display.axes_[:2]] == CHANNELS
    assert display.ax_.get_title() == "anomaly score (higher = more anomalous)"
    assert display.ax_.get_xlabel() == "time"
    assert display.axes_[0].get_shared_x_axes().joined(display.axes_[0], display.ax_)
    for c, line in enumerate(display.lines_):
        np.testing.assert_allclose(line.get_ydata(), stream[:, c])
    # Scores are score_samples (higher = more normal): the display draws minus them.
    np.testing.assert_allclose(display.error_line_.get_ydata(), -scores)
    assert display.threshold_line_ is None and display.spans_.shape == (3, 0)
    assert display.ax_.get_legend() is None


def test_stream_display_shades_exactly_the_flagged_runs():
    flagged = [(10, 13), (50, 51), (97, 100)]
    scores = np.zeros(100)
    for start, stop in flagged:
        scores[start:stop] = -2.0
    scores[30] = -0.5  # above the threshold: normal
    scores[60] = -1.0  # at the threshold: normal, as predict says
    display = StreamDisplay.from_scores(_stream(100), scores, threshold=-1.0)
    np.testing.assert_allclose(display.threshold_line_.get_ydata(), [1.0, 1.0])
    np.testing.assert_array_equal(display.runs_, flagged)
    assert display.spans_.shape == (3, len(flagged))
    expected = [(start - 0.5, stop - 0.5) for start, stop in flagged]
    for ax, spans in zip(display.axes_, display.spans_, strict=True):
        assert all(span in ax.patches for span in spans)
        np.testing.assert_allclose([_span_x(span) for span in spans], expected)
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["threshold (1)", "flagged"]


def test_stream_display_takes_time_and_names_from_a_dataframe():
    time = np.linspace(0.0, 9.9, 100)
    frame = pd.DataFrame(_stream(100), index=time, columns=["acc_x", "acc_y"])
    scores = np.zeros(100)
    scores[20:25] = -3.0
    display = StreamDisplay.from_scores(frame, scores, threshold=-1.0)
    assert [ax.get_title() for ax in display.axes_[:2]] == ["acc_x", "acc_y"]
    np.testing.assert_allclose(display.lines_[1].get_xdata(), time)
    np.testing.assert_allclose(display.error_line_.get_xdata(), time)
    np.testing.assert_allclose(_span_x(display.spans_[0, 0]), (1.95, 2.45))


def test_stream_display_of_a_datetime_index_and_given_axes():
    index = pd.date_range("2026-01-01", periods=50, freq="s")
    series = pd.Series(_stream(50)[:, 0], index=index, name="ecg")
    figure, axes = plt.subplots(2, 1)
    display = StreamDisplay.from_scores(series, np.zeros(50), threshold=1.0, ax=axes)
    assert list(display.axes_) == list(axes) and display.figure_ is figure
    assert display.axes_[0].get_title() == "ecg"
    assert display.lines_[0].get_xdata().dtype.kind == "M"
    assert display.spans_.shape == (2, 1)  # every point is below 1.0


def test_stream_display_rejects_bad_scores_and_axes():
    stream, scores = _stream(50), np.zeros(50)
    with pytest.raises(ValueError, match=r"shape \(50,\); got shape \(49,\)"):
        StreamDisplay.from_scores(stream, scores[:-1])
    scores_with_nan = scores.copy()
    scores_with_nan[7] = np.nan
    with pytest.raises(
        ValueError, match=r"scores has 1 NaN values \(the first at point 7"
    ):
        StreamDisplay.from_scores(stream, scores_with_nan)
    _, axes = plt.subplots(2, 1)
    with pytest.raises(ValueError, match=r"one for the scores \(3\); got 2"):
        StreamDisplay.from_scores(stream, scores, ax=axes)
    with pytest.raises(ValueError, match=r"time must hold one value per point \(50\)"):
        StreamDisplay.from_scores(stream, scores, time=np.arange(40))


def test_stream_display_from_a_sliding_window_detector():
    from sklearn.ensemble import IsolationForest

    from sklearn_lstmae.stream import SlidingWindowDetector

    stream = _stream(300)
    detector = SlidingWindowDetector(
        IsolationForest(n_estimators=20, random_state=0), window_size=16
    )
    with pytest.raises(NotFittedError):
        StreamDisplay.from_estimator(detector, stream)
    detector.fit(stream)
    display = StreamDisplay.from_estimator(detector, stream, channel_names=CHANNELS)
    assert len(display.axes_) == 3
    np.testing.assert_allclose(
        display.error_line_.get_ydata(), -detector.score_samples(stream)
    )
    assert display.threshold_line_.get_ydata()[0] == pytest.approx(-detector.offset_)
    flagged = np.zeros(len(stream), dtype=bool)
    for start, stop in display.runs_:
        flagged[start:stop] = True
    np.testing.assert_array_equal(flagged, detector.predict(stream) == -1)


def test_stream_display_from_estimator_needs_per_point_scores():
    with pytest.raises(TypeError, match="per-point score_samples"):
        StreamDisplay.from_estimator(StandardScaler(), _stream(50))
