"""LSTM autoencoder as a scikit-learn outlier detector."""

from numbers import Real

import numpy as np
from sklearn.base import OutlierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import BaseLSTMAutoencoder
from ._calibration import (
    auto_offset,
    calibrated_offset,
    calibration_scores,
    fused_errors,
    log_location,
    p_values,
    split_calibration,
    warn_if_coarse,
)
from ._fitted_state import Count, Floats, Number, SortedScores
from ._inference import REDUCE_AXES
from ._linear_view import LinearView, linear_weight
from ._spread import spread_statistics, spread_z
from ._training import split_off_validation

__all__ = ["LSTMAnomalyDetector"]

# Each time step's and channel's error scale is a mean over the training
# sequences in which the channel's mean over all steps counts as this many
# more sequences: with few sequences a step's own mean is noisy and leans on
# the channel's (benchmarks/README.md, "The detector's score").
_PRIOR_SEQUENCES = 10
# No error scale falls below this share of the mean one: a step the network
# reconstructs almost exactly on the training data (a constant channel)
# must not turn float round-off on new data into a huge score.
_SCALE_FLOOR = 1e-6


class LSTMAnomalyDetector(OutlierMixin, BaseLSTMAutoencoder):
    """Flag sequences that an LSTM autoencoder reconstructs badly.

    Trained on (mostly) normal sequences, the autoencoder reconstructs normal
    sequences well and unusual ones badly. The reconstruction error is the
    anomaly score: by default each squared error divided by the mean squared
    error of its time step and channel on the training data, then averaged
    over time steps and channels (``normalize_errors``). A damped or calm
    sequence, which the network may reconstruct as well as a normal one, is
    caught by its spread instead (``check_spread``), and a curve that a linear
    model fits more tightly than the network by the residual of a PCA
    (``linear_view``). The threshold and the
    :meth:`p_values` come from sequences held out of training
    (``calibration_split``), so that they hold on new data. Signs are
    scikit-learn's: :meth:`score_samples` is minus the score (higher is more
    normal), :meth:`decision_function` is negative for outliers and
    :meth:`predict` returns +1 for inliers and -1 for outliers.

    Parameters
    ----------
    contamination : 'auto' or float in (0, 0.5], default='auto'
        A float ``alpha`` is the false-alarm rate to allow: a new normal
        sequence is flagged with probability at most ``alpha``, since
        :meth:`predict` flags exactly the sequences whose :meth:`p_values` are
        at most ``alpha``. ``'auto'`` uses a robust rule on the calibration
        errors that needs no rate (see Notes).
    calibration_split : float in [0, 1), default=0.2
        Share of the training sequences, drawn at random (``random_state``),
        held out of training to calibrate the threshold, the p-values and the
        error scales on. ``0`` calibrates on the sequences the network
        fitted (or on the ``validation_split`` tail, if any), whose errors
        understate those of new data. See Notes.
    input_shape : tuple (n_timesteps, n_channels) or None, default=None
        How to fold a 2-D input of ``n_timesteps * n_channels`` time-major
        columns into sequences. ``None``: a 2-D input is univariate and a
        3-D input gives its own shape.
    latent_dim : int, default=8
        Width of the latent vector.
    lstm_units : tuple of int, default=(64, 32)
        Units of each encoder LSTM layer; the decoder mirrors them.
    dropout_rate : float in [0, 1), default=0.0
        Rate of the ``Dropout`` layer after each LSTM layer.
    l2_reg : float >= 0, default=0.0
        L2 penalty on the layer kernels.
    use_attention : bool, default=False
        Add self-attention after the encoder and decoder LSTMs; see
        :meth:`attention_weights`.
    pooling : {"last", "mean", "flatten"} or None, default="flatten"
        How the encoder turns its hidden states, one per time step, into the
        input of the latent layer: ``"last"`` keeps the final one, ``"mean"``
        their average over time, ``"flatten"`` all of them side by side.
        ``None`` is the original specification's network: ``"last"``, or
        ``"mean"`` with attention. ``"flatten"`` reconstructs better but also
        learns to reconstruct anomalies, so that their error may peak where
        they are normal; see the user guide.
    max_timesteps : int >= 2 or None, default=64
        Most time steps the LSTMs run on. A longer sequence is averaged down
        in bins of ``ceil(n_timesteps / max_timesteps)`` steps before the
        encoder's LSTMs, and the decoder's output interpolated back to every
        step, so that reconstructions and errors keep the input's shape.
        ``None`` runs the LSTMs on every step, as the specification does.
        Attention weights are then over the bins.
    time_positions : bool, default=True
        Give the decoder's LSTMs five channels saying where each step lies
        (``t / T`` and sines and cosines of one and two periods over the
        sequence) beside the repeated latent vector.
    linear_path : bool, default=False
        Add linear maps beside the LSTMs, from the flattened sequence to the
        latent vector and back, set to a whitened PCA of the training data
        before training and kept there; the LSTM branches start at zero and
        learn what PCA leaves.
    standardize : bool, default=True
        Standardise each channel with its training mean and standard
        deviation before the network sees it; reconstructions and errors
        come back in the units of ``X``.
    normalize_errors : bool, default=True
        Divide each squared error by the mean squared error of its time step
        and channel on the training sequences (``error_scale_``) before
        averaging, so that a sequence scores by how unusual its errors are
        where they occur: 1 is a typical error. ``False`` scores the plain
        mean squared error, in the squared units of ``X``. See Notes.
    check_spread : bool, default=True
        Also score each channel's standard deviation over time against its
        spread on the training sequences: a sequence whose spread is more
        unusual than its reconstruction error scores about as the error
        that would be as unusual. This flags damped, flattened or calm sequences
        that the network reconstructs well. It changes nothing on data
        normalised sequence by sequence. ``False`` scores the error alone.
        See Notes.
    linear_view : bool, default=True
        Also score each sequence by its residual off the first
        ``latent_dim`` principal components of the sequences the network
        fitted (each channel standardised with ``standardize``), as a robust
        z-score against the calibration sequences, averaged with the
        network's, each weighted by how tightly it reconstructs the
        calibration sequences (``linear_weight_``): smooth curves that a
        linear model fits more tightly than the LSTMs are scored about as
        PCA scores them. ``False``, with
        ``check_spread=False``, scores the network's error alone. See Notes.
    optimizer : str or keras.optimizers.Optimizer, default="adam"
        Set its arguments with routed parameters, e.g.
        ``optimizer__learning_rate=1e-3``.
    loss : str or keras.losses.Loss, default="mse"
        Training loss.
    metrics : list or None, default=None
        Keras metrics recorded in ``history_``.
    epochs : int or "auto", default="auto"
        An int is the number of passes over the training data, at the
        optimizer's learning rate. ``"auto"`` trains for at most 800 optimizer
        steps whatever the data size, in epochs of at least 50 steps (a small
        training set is repeated within each epoch; ``history_`` has one
        entry per such epoch). The learning rate starts at three times the
        optimizer's and decays along a cosine; training stops early when the
        loss (``val_loss`` with a ``validation_split``) has not improved by
        1 % for 4 epochs, and the weights of the best epoch are kept. See the
        user guide, "Training defaults".
    batch_size : int, default=32
        Sequences per gradient step.
    validation_split : float in [0, 1), default=0.0
        Fraction of the sequences left after ``calibration_split``, taken
        from their end as Keras does, held out of training for ``val_loss``.
        They are calibrated on too, as the network did not fit them.
    callbacks : list of keras.callbacks.Callback or None, default=None
        Callbacks for training.
    verbose : int, default=0
        Keras's verbosity during training.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and shuffling. On the CPU the
        same seed gives bit-identical results.
    warm_start : bool, default=False
        If True, :meth:`fit` continues training the fitted network.
    **routed_params : dict
        SciKeras-routed parameters: ``optimizer__*``, ``loss__*``,
        ``metrics__*``, ``compile__*``, ``fit__*``, ``predict__*``.

    Attributes
    ----------
    offset_ : float
        ``decision_function = score_samples - offset_``.
    threshold_ : float
        The anomaly score (``-score_samples``) above which a sequence is an
        outlier, ``-offset_``. With ``'auto'`` it is a reconstruction error;
        ``inf`` when a float ``contamination`` is below ``1 / (n + 1)`` for
        ``n`` calibration sequences, as no p-value can be that low.
    calibration_scores_ : ndarray of shape (n_calibration,)
        :meth:`score_samples` of the calibration sequences, ascending: what
        :meth:`p_values` counts against.
    error_scale_ : ndarray of shape (n_timesteps, n_channels)
        What each squared error is divided by: the mean squared error of its
        time step and channel on the sequences the network fitted, shrunk
        towards the
        channel's mean over all steps (see Notes), in the squared units of
        ``X``; ones with ``normalize_errors=False``.
    log_error_center_ : float
        Median of the log reconstruction errors of the calibration sequences.
    log_error_scale_ : float
        Their robust standard deviation (1.4826 times the median absolute
        deviation), or that of the training sequences' log errors if larger.
    spread_center_ : ndarray of shape (n_channels,)
        Median over the sequences the network fitted of the log standard
        deviation
        over time of each channel.
    spread_scale_ : ndarray of shape (n_channels,)
        Its robust standard deviation, at least 0.01.
    spread_typical_z_ : float
        Median over those sequences of their spread z-scores (the root mean
        square over channels): what a normal sequence's is, subtracted
        before the spread joins the score.
    linear_mean_ : ndarray of shape (n_timesteps, n_channels)
        Mean of the sequences the network fitted (``linear_view`` only, as
        are the next six).
    linear_scale_ : ndarray of shape (n_channels,)
        What each channel is divided by before the projection: its standard
        deviation over those sequences (ones with ``standardize=False``).
    linear_components_ : ndarray of shape (n_linear_components, n_timesteps, \
            n_channels)
        The principal axes, at most ``latent_dim`` of them.
    n_linear_components_ : int
        Their number.
    linear_log_center_ : float
        Median log residual of the calibration sequences.
    linear_log_scale_ : float
        Its robust standard deviation, at least the training sequences' and
        at least 0.01.
    linear_weight_ : float
        The linear view's weight in the score, in [0, 1]: the network's
        median mean squared error of the calibration sequences over the sum
        of that and PCA's (see Notes).
    model_ : keras.Model
        The fitted autoencoder.
    history_ : dict of list
        Loss per epoch (``"loss"``; ``"val_loss"`` with a validation split).
    n_features_in_ : int
        Width of the flattened input, ``n_timesteps_ * n_channels_``.
    feature_names_in_ : ndarray of str
        Column names seen in :meth:`fit`, for DataFrame input.
    n_timesteps_ : int
        Time steps per sequence.
    n_channels_ : int
        Channels per time step.
    channel_mean_ : ndarray of shape (n_channels,)
        Per-channel training mean subtracted before the network (0 with
        ``standardize=False``).
    channel_scale_ : ndarray of shape (n_channels,)
        Per-channel training standard deviation divided out before the
        network (1 with ``standardize=False`` or for a constant channel).

    See Also
    --------
    LSTMAutoencoderTransformer : The same network as a feature extractor.
    sklearn.ensemble.IsolationForest : Same outlier conventions.

    Notes
    -----
    **Which data the threshold comes from.** Errors on the training data
    understate errors on new data, because the network has fitted them: a
    threshold set on them flags far more new normal sequences than asked.
    :meth:`fit` therefore holds out a random ``calibration_split`` of the
    sequences (and the ``validation_split`` tail, if any), trains on the
    rest, and calibrates on what it held out: the threshold, the p-values and
    the robust location of the errors. What a score is made of (the error
    scales, the spreads' location) comes from the sequences the network
    fitted, so that the calibration sequences are scored as new ones are.
    With
    ``calibration_split=0`` and no ``validation_split`` it calibrates on the
    training sequences themselves, which gives a threshold on the low side.

    **p-values and the false-alarm rate.** The p-value of a new sequence is
    ``(1 + k) / (n + 1)``, where ``k`` of the ``n`` calibration sequences
    score at least as anomalous. If the calibration sequences and new normal
    sequences are exchangeable (drawn alike, in any order), a new normal
    sequence's p-value is at most ``alpha`` with probability at most
    ``alpha``, for any ``n`` and any network: split conformal inference
    [2]_. A float ``contamination`` is that ``alpha``. The guarantee is on
    average over calibration sets; for one fitted detector the realised rate
    varies around it by about ``sqrt(alpha / n)``. It does not cover drift
    (new normal data unlike the calibration data), and the errors' robust
    location, estimated on the same calibration sequences (it says what a
    spread z-score is worth), makes it hold approximately rather than
    exactly. A p-value cannot be below
    ``1 / (n + 1)``: with fewer than 19 calibration sequences :meth:`fit`
    warns, and a ``contamination`` below that flags nothing.
    :func:`~sklearn_lstmae.select_fdr` flags a batch with a false-discovery
    rate of at most ``q`` instead.

    **The score.** A network reconstructs some parts of a normal sequence
    less closely than others (a fast swing phase more loosely than a slow
    stance; a noisy channel more loosely than a smooth one). A plain mean
    squared error lets those parts dominate every score, so that a clear
    departure where the network is usually exact counts for little. Divided
    by its typical size on the training data, each error says how unusual
    it is where it occurs. The typical size of a time step's and channel's
    error is its mean over the ``n`` sequences the network fitted, with the
    channel's mean over all steps counted as 10 more sequences:
    ``(n * step_mean + 10 * channel_mean) / (n + 10)``, so that a scale
    estimated from a dozen sequences does not single out steps that happened
    to be reconstructed closely. On the 8 one-class tasks of
    ``benchmarks/quality.py`` (3 seeds) this raised the mean ROC-AUC of the
    defaults from 0.823 to 0.834, most on GunPoint and ItalyPowerDemand
    (+0.03 to +0.04); without the shrinking it lost 0.065 on ArrowHead
    (``benchmarks/README.md``). The same normalised errors are what
    :meth:`reconstruction_error` returns and the plots show, so that a
    per-step or per-channel error localises what the score saw.

    **The spread check.** The error cannot see an anomaly that the network
    reconstructs as closely as a normal sequence: a damped or flattened
    recording, a sensor that went calm, an activity quieter than the trained
    one. Such a sequence has an unusual spread. With ``check_spread``, the
    log standard deviation over time of each channel gets a robust z-score
    against the training sequences (median ``spread_center_``, robust
    standard deviation ``spread_scale_``), in either direction; a sequence's
    spread z-score is the root mean square of its channels', less its
    median over the training sequences (``spread_typical_z_``, about 0.7
    for one channel), and at least 0: ``s``. The largest channel's z-score,
    used until 2026-12-06, grows with the number of channels and ranked
    normal speech frames (12 channels whose spreads vary) among the
    anomalies: on JapaneseVowels the root mean square lifted the ROC-AUC
    from 0.968-0.994 to 0.992-0.998 (``benchmarks/README.md``, "The spread
    over many channels"). It joins the error's
    robust z-score ``z`` on the log scale among the calibration errors
    (``log_error_center_``, ``log_error_scale_``) by a soft maximum,
    ``log(exp(z) + exp(s) - 1)``: ``z`` itself for a typical spread
    (``s = 0``), close to ``s`` where the spread is the more unusual, and
    the score is the error whose z-score that is. Each sequence scores by
    the more unusual of the two, and sequences with an unremarkable spread
    stay ranked by their errors rather than tied at one level (a hard
    maximum tied every sequence below the median error). On the 8 tasks of
    ``benchmarks/quality.py`` (3 seeds) it lifted the ROC-AUC on
    BasicMotions, whose calmer activities every error-based method ranks as
    more normal than the trained one, from 0.311 to 0.987, and moved no
    other task by more than 0.001: the mean went from 0.834 to 0.918
    (``benchmarks/README.md``). On data normalised sequence by sequence
    every spread is the same and the check changes nothing.

    **The linear view.** On long smooth curves (outlines, spectra, speech
    frames) the LSTMs may fit normal sequences less tightly than a PCA with
    as many components does, and then rank anomalies worse than PCA's
    reconstruction error. With ``linear_view``, each sequence's mean squared
    residual off the first ``latent_dim`` principal axes of the training
    sequences gets a robust z-score of its logarithm against the calibration
    sequences (``linear_log_center_``, ``linear_log_scale_``), and the
    reconstruction error is replaced by the error whose log z-score is a
    weighted average of the network's and this one: a weighted geometric
    mean of the two in the units of the error. Each view weighs in inverse
    proportion to its median mean squared error of the calibration
    sequences (both in the linear view's standardised units): the linear
    view's weight ``linear_weight_`` is ``r / (1 + r)`` for ``r`` the
    network's median error over PCA's, 0.5 where they fit alike and near 1
    where the network reconstructs unseen normal curves far worse (1,460
    steps of appliance power: ``r`` from 5 to 72). The spread check then
    joins the result. Both views are calibrated on data they did not fit.
    On the 20 tasks of ``benchmarks/quality.py`` (3 seeds) the two views
    averaged lifted the mean ROC-AUC from 0.846 to 0.856, weighted to
    0.860, and the worst gap to PCA from -0.126 (no linear view) to -0.060
    (averaged) and -0.035 (weighted) (``benchmarks/README.md``, "The views
    weighted by their calibration errors").

    **The 'auto' rule.** Reconstruction errors are positive and right-skewed,
    close to log-normal. ``'auto'`` takes their logarithm and flags a
    sequence whose modified z-score exceeds 3.5, the cut-off of Iglewicz and
    Hoaglin [1]_: its log error lies more than 3.5 robust standard deviations
    (1.4826 times the median absolute deviation) above the median log error
    of the calibration sequences. The robust standard deviation is at least
    that of the training sequences' log errors, so that a handful of
    calibration sequences that happen to agree cannot make it tiny. Median
    and MAD ignore the few outliers the calibration data may contain, and
    the rule needs no contamination rate. With ``check_spread`` the same
    threshold also flags a sequence whose spread z-score exceeds 3.5. Errors
    on unseen data have a heavier upper tail than a log-normal, so expect a
    few percent of false alarms rather than the 0.02 % a log-normal would
    give (``benchmarks/README.md``, "Calibration").

    **Labelled model selection.** scikit-learn scorers such as
    ``scoring="roc_auc"`` call :meth:`decision_function`, which is high for
    normal sequences: labels must say 1 (or +1) for normal and 0 (or -1) for
    anomalies, as :meth:`predict` does.

    References
    ----------
    .. [1] B. Iglewicz and D. C. Hoaglin, "How to Detect and Handle Outliers",
       ASQC Basic References in Quality Control, vol. 16, 1993.
    .. [2] S. Bates, E. Candes, L. Lei, Y. Romano and M. Sesia, "Testing for
       outliers with conformal p-values", Annals of Statistics 51, 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstmae import LSTMAnomalyDetector, make_gait_cycles
    >>> X, y, _ = make_gait_cycles(60, random_state=0)
    >>> detector = LSTMAnomalyDetector(
    ...     lstm_units=(8,), latent_dim=3, epochs=2, contamination=0.1,
    ...     random_state=0).fit(X)
    >>> labels = detector.predict(X)
    >>> sorted(np.unique(labels).tolist())
    [-1, 1]
    >>> detector.reconstruction_error(X[:3], reduce="timestep").shape
    (3, 51)
    """

    _parameter_constraints = {
        **BaseLSTMAutoencoder._parameter_constraints,
        "contamination": [
            StrOptions({"auto"}),
            Interval(Real, 0, 0.5, closed="right"),
        ],
        "calibration_split": [Interval(Real, 0, 1, closed="left")],
        "normalize_errors": ["boolean"],
        "check_spread": ["boolean"],
        "linear_view": ["boolean"],
    }

    _fitted_state = {
        **BaseLSTMAutoencoder._fitted_state,
        "offset_": Number(minus_infinity=True),
        # Archives written before p-values existed lack it.
        "calibration_scores_": SortedScores(required=False),
        "error_scale_": Floats(("n_timesteps_", "n_channels_"), positive=True),
        "log_error_center_": Number(),
        "log_error_scale_": Number(minimum=0),
        "spread_center_": Floats(("n_channels_",)),
        "spread_scale_": Floats(("n_channels_",), positive=True),
        "spread_typical_z_": Number(minimum=0, required=False),
        # Set with linear_view only.
        "linear_mean_": Floats(("n_timesteps_", "n_channels_"), required=False),
        "linear_scale_": Floats(("n_channels_",), positive=True, required=False),
        "linear_components_": Floats(
            ("n_linear_components_", "n_timesteps_", "n_channels_"), required=False
        ),
        "n_linear_components_": Count(required=False),
        "linear_log_center_": Number(required=False),
        "linear_log_scale_": Number(minimum=0, required=False),
        "linear_weight_": Number(minimum=0, required=False),
    }

    def __init__(
        self,
        *,
        contamination="auto",
        calibration_split=0.2,
        input_shape=None,
        latent_dim=8,
        lstm_units=(64, 32),
        dropout_rate=0.0,
        l2_reg=0.0,
        use_attention=False,
        pooling="flatten",
        max_timesteps=64,
        time_positions=True,
        linear_path=False,
        standardize=True,
        normalize_errors=True,
        check_spread=True,
        linear_view=True,
        optimizer="adam",
        loss="mse",
        metrics=None,
        epochs="auto",
        batch_size=32,
        validation_split=0.0,
        callbacks=None,
        verbose=0,
        random_state=None,
        warm_start=False,
        **routed_params,
    ):
        super().__init__(
            input_shape=input_shape,
            latent_dim=latent_dim,
            lstm_units=lstm_units,
            dropout_rate=dropout_rate,
            l2_reg=l2_reg,
            use_attention=use_attention,
            pooling=pooling,
            max_timesteps=max_timesteps,
            time_positions=time_positions,
            linear_path=linear_path,
            standardize=standardize,
            optimizer=optimizer,
            loss=loss,
            metrics=metrics,
            epochs=epochs,
            batch_size=batch_size,
            validation_split=validation_split,
            callbacks=callbacks,
            verbose=verbose,
            random_state=random_state,
            warm_start=warm_start,
            **routed_params,
        )
        self.contamination = contamination
        self.calibration_split = calibration_split
        self.normalize_errors = normalize_errors
        self.check_spread = check_spread
        self.linear_view = linear_view

    def _split_for_calibration(self, n_samples):
        return split_calibration(n_samples, self.calibration_split, self.random_state)

    def _after_training(self, training, unseen):
        training_squared = self._squared_errors(training, axes=REDUCE_AXES[None])
        training_errors = self._fit_score(training, training_squared)
        calibration, calibration_squared = training, training_squared
        if unseen is not None:
            calibration = unseen
            calibration_squared = self._squared_errors(unseen, axes=REDUCE_AXES[None])
        if self.linear_view:
            self._fit_linear_view(training, calibration, calibration_squared)
        self._calibrate(calibration, calibration_squared, training_errors)
        # Frames: this hook, _fit_validated, fit, _fit_context, its wrapper.
        warn_if_coarse(
            self,
            len(calibration),
            in_sample=unseen is None,
            what="sequences",
            stacklevel=5,
        )

    def _fit_score(self, training, squared_errors):
        """What the score is made of, from the sequences the network fitted.

        The calibration sequences only rank against it. Scales estimated on
        the calibration sequences themselves fit them: on the gait task 31 %
        of new normal cycles fell below all 20 calibration scores instead of
        5 % (benchmarks/README.md, "Calibration"). ``squared_errors`` are
        the training sequences' every squared error; returns their errors.
        """
        self.error_scale_ = np.ones(squared_errors.shape[1:])
        if self.normalize_errors:
            self.error_scale_ = _error_scale(squared_errors)
        self.spread_center_, self.spread_scale_, self.spread_typical_z_ = (
            spread_statistics(training)
        )
        return (squared_errors / self.error_scale_).mean(axis=(1, 2))

    def _fit_linear_view(self, training, calibration, calibration_squared):
        """The linear view's subspace from ``training``, located on ``calibration``.

        Its weight compares the two views' errors of ``calibration``, the
        network's (``calibration_squared``) in the view's units.
        """
        view = LinearView.fit(training, self.latent_dim, self.standardize)
        linear_errors = view.errors(calibration)
        view.calibrate(linear_errors, view.errors(training))
        network_errors = (calibration_squared / view.scale**2).mean(axis=(1, 2))
        self.linear_weight_ = linear_weight(network_errors, linear_errors)
        self.linear_mean_, self.linear_scale_ = view.mean, view.scale
        self.linear_components_ = view.components
        self.n_linear_components_ = len(view.components)
        self.linear_log_center_ = view.log_center
        self.linear_log_scale_ = view.log_scale

    def _calibrate(self, calibration, calibration_squared, training_errors):
        """The errors' location, the calibration scores and the threshold."""
        errors = (calibration_squared / self.error_scale_).mean(axis=(1, 2))
        # The errors' location sets 'auto' and what a spread z-score is worth:
        # a spread z-score above 3.5 crosses the same line as an error does.
        # Their spread is at least that of the training errors: estimated from
        # a handful of held-out sequences it can be near zero (2 of ArrowHead's
        # 12: 'auto' flagged 45 % of new normal outlines).
        self.log_error_center_, log_scale = log_location(errors)
        self.log_error_scale_ = max(log_scale, log_location(training_errors)[1])
        self.calibration_scores_ = np.sort(-self._with_views(errors, calibration))
        # 'auto' on the errors, not the scores: the scores' median is higher,
        # as the spread raises their low half (on GunPoint class 1, 78 % of
        # the normal test sequences flagged instead of 14 %).
        self.offset_ = calibrated_offset(
            self.calibration_scores_,
            self.contamination,
            auto=auto_offset(self.log_error_center_, self.log_error_scale_),
        )

    def calibration_indices(self, n_samples):
        """Which of ``n_samples`` training sequences :meth:`fit` calibrates on.

        Parameters
        ----------
        n_samples : int
            Number of sequences passed to :meth:`fit`.

        Returns
        -------
        indices : ndarray of shape (n_calibration,)
            Ascending: the random ``calibration_split`` share and the
            ``validation_split`` tail of the rest; every index if both are 0
            (see Notes, "Which data the threshold comes from"). With an int
            ``random_state`` they are the ones :meth:`fit` holds out.

        Examples
        --------
        >>> from sklearn_lstmae import LSTMAnomalyDetector
        >>> LSTMAnomalyDetector(random_state=0).calibration_indices(10)
        array([0, 5])
        >>> LSTMAnomalyDetector(calibration_split=0,
        ...                     validation_split=0.2).calibration_indices(10)
        array([8, 9])
        """
        fit_indices, held_out = self._split_for_calibration(n_samples)
        _, validation = split_off_validation(fit_indices, self.validation_split)
        if validation is None:
            return held_out if len(held_out) else fit_indices
        return np.union1d(held_out, validation)

    def _with_views(self, errors, sequences):
        """``errors`` fused with the linear and spread views of ``sequences``.

        ``errors`` is ``(n_samples,)`` or ``(n_samples, n_steps)``: each
        sequence's errors are fused with its views alike.
        """
        views, weight = {}, {}
        if self.linear_view:
            views["linear_z"] = self._linear_view().z(sequences)
            # Archives from before the weight averaged the two views.
            weight["linear_weight"] = getattr(self, "linear_weight_", 0.5)
        if self.check_spread:
            views["spread_z"] = spread_z(
                sequences,
                self.spread_center_,
                self.spread_scale_,
                # Archives from before the typical z took 0.
                getattr(self, "spread_typical_z_", 0.0),
            )
        shape = (-1, *([1] * (np.ndim(errors) - 1)))
        views = {name: z.reshape(shape) for name, z in views.items()}
        return fused_errors(
            errors, self.log_error_center_, self.log_error_scale_, **views, **weight
        )

    def _linear_view(self):
        check_is_fitted(self, "linear_components_")
        return LinearView(
            self.linear_mean_,
            self.linear_scale_,
            self.linear_components_,
            self.linear_log_center_,
            self.linear_log_scale_,
        )

    def _error_scale(self):
        check_is_fitted(self, "error_scale_")
        return self.error_scale_

    @property
    def threshold_(self):
        """The score ``-score_samples`` above which a sequence is an outlier."""
        check_is_fitted(self, "offset_")
        return -self.offset_

    def reconstruction_error(self, X, reduce="sample"):
        """The errors the detector scores with, averaged as ``reduce`` says.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences, in either layout.
        reduce : {"sample", "timestep", "channel"} or None, default="sample"
            ``"sample"``: mean over time steps and channels, shape
            ``(n_samples,)``, minus :meth:`score_samples` unless the spread
            is the more unusual (``check_spread``); ``"timestep"``: mean over
            channels, shape ``(n_samples, n_timesteps)``, which phase of the
            sequence is off; ``"channel"``: mean over time steps, shape
            ``(n_samples, n_channels)``, which channel is off; ``None``:
            every error, shape ``(n_samples, n_timesteps, n_channels)``.

        Returns
        -------
        errors : ndarray
            Squared errors divided by ``error_scale_``: with
            ``normalize_errors=True`` in multiples of the typical error at the
            same time step and channel, else in the squared units of ``X``.
        """
        return super().reconstruction_error(X, reduce)

    def score_samples(self, X):
        """Minus the anomaly score of each sequence (higher is more normal).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences, in either layout.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-reconstruction_error(X)``, with ``linear_view`` averaged on
            the log scale with the linear view's equivalent error (weighted
            by ``linear_weight_``), and with
            ``check_spread`` raised, for a sequence whose spread is more
            unusual, to about minus the error that would be as unusual (see
            Notes).
        """
        sequences = self._check_and_fold(X)
        errors = self._squared_errors(sequences, scale=self._error_scale())
        return -self._with_views(errors, sequences)

    def decision_function(self, X):
        """Score shifted by the threshold: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences, in either layout.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            ``score_samples(X) - offset_``.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Label each sequence +1 (inlier) or -1 (outlier).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences, in either layout.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            +1 where ``decision_function(X) >= 0``, else -1. With a float
            ``contamination``, -1 exactly where ``p_values(X) <=
            contamination``.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    def p_values(self, X):
        """Conformal p-value of each sequence against the calibration sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_channels) or \
                (n_samples, n_timesteps, n_channels)
            Sequences, in either layout.

        Returns
        -------
        p_values : ndarray of shape (n_samples,)
            ``(1 + k) / (n + 1)`` where ``k`` of the ``n`` calibration
            sequences have a :meth:`score_samples` at or below the
            sequence's, in ``[1 / (n + 1), 1]``: low for a sequence more
            anomalous than most calibration sequences. A new normal sequence
            has a p-value at most ``alpha`` with probability at most
            ``alpha`` (see Notes).

        Examples
        --------
        >>> from sklearn_lstmae import LSTMAnomalyDetector, make_gait_cycles
        >>> X, _, _ = make_gait_cycles(60, random_state=0)
        >>> detector = LSTMAnomalyDetector(
        ...     lstm_units=(8,), latent_dim=3, epochs=2, random_state=0).fit(X)
        >>> p = detector.p_values(X[:5])
        >>> bool(p.min() >= 1 / (len(detector.calibration_scores_) + 1))
        True
        """
        return p_values(calibration_scores(self), self.score_samples(X))


def _error_scale(squared_errors):
    """Typical squared error per (time step, channel) of ``(n, T, C)`` errors."""
    n_sequences = len(squared_errors)
    per_step = squared_errors.mean(axis=0)
    per_channel = per_step.mean(axis=0)
    scale = (n_sequences * per_step + _PRIOR_SEQUENCES * per_channel) / (
        n_sequences + _PRIOR_SEQUENCES
    )
    return np.maximum(scale, max(_SCALE_FLOOR * scale.mean(), np.finfo(float).tiny))
