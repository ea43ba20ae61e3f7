import sys

import numpy as np
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
    _project_2d,
)

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
    [ReconstructionDisplay, ErrorHeatmapDisplay, ScoreHistogramDisplay],
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
