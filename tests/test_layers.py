import keras
import numpy as np
import pytest

from sklearn_lstmae import AttentionLayer
from sklearn_lstmae.layers import TimePositions, TimeResampling

pytestmark = pytest.mark.all_backends


def _numpy_attention(x, layer, mask=None):
    query = x @ layer.query_kernel.numpy()
    key = x @ layer.key_kernel.numpy()
    value = x @ layer.value_kernel.numpy()
    scores = query @ key.transpose(0, 2, 1) / np.sqrt(query.shape[-1])
    if mask is not None:
        scores = np.where(mask[:, None, :], scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ value, weights


def _to_numpy(tensors):
    return keras.tree.map_structure(keras.ops.convert_to_numpy, tensors)


@pytest.mark.parametrize("key_dim", [None, 5])
def test_attention_matches_numpy_reference(key_dim):
    x = np.random.default_rng(0).normal(size=(3, 7, 4)).astype("float32")
    layer = AttentionLayer(key_dim=key_dim)
    output, weights = _to_numpy(layer(x, return_attention_scores=True))
    expected_output, expected_weights = _numpy_attention(x.astype("float64"), layer)
    np.testing.assert_allclose(weights, expected_weights, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(output, expected_output, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_to_numpy(layer(x)), output)


def test_attention_respects_input_mask():
    x = np.random.default_rng(1).normal(size=(2, 6, 3)).astype("float32")
    mask = np.ones((2, 6), dtype=bool)
    mask[0, 4:] = False
    layer = AttentionLayer()
    output, weights = _to_numpy(layer(x, mask=mask, return_attention_scores=True))
    expected_output, expected_weights = _numpy_attention(
        x.astype("float64"), layer, mask
    )
    np.testing.assert_allclose(weights, expected_weights, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(output, expected_output, rtol=1e-4, atol=1e-5)
    assert np.all(weights[0, :, 4:] == 0)


def test_attention_mask_flows_through_a_model():
    inputs = keras.Input(shape=(None, 2))
    masked = keras.layers.Masking(mask_value=0.0)(inputs)
    attended = AttentionLayer(name="attention")(masked)
    outputs = keras.layers.LSTM(3)(attended)
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(2).normal(size=(2, 5, 2)).astype("float32")
    x_padded = x.copy()
    x_padded[:, 3:] = 0.0
    # Padded steps are invisible to attention and skipped by the LSTM, so the
    # padded sequences give what their first three steps alone give.
    np.testing.assert_allclose(
        model.predict_on_batch(x_padded), model.predict_on_batch(x[:, :3]), rtol=1e-5
    )
    assert not np.allclose(model.predict_on_batch(x), model.predict_on_batch(x[:, :3]))


def test_attention_shapes():
    layer = AttentionLayer(key_dim=3)
    inputs = keras.Input(shape=(9, 4))
    output, weights = layer(inputs, return_attention_scores=True)
    assert tuple(output.shape) == (None, 9, 4)
    assert tuple(weights.shape) == (None, 9, 9)
    assert layer.compute_output_shape((None, 9, 4)) == (None, 9, 4)


def test_attention_config_round_trip():
    layer = AttentionLayer(key_dim=6, name="att")
    config = layer.get_config()
    assert config["key_dim"] == 6
    clone = AttentionLayer.from_config(config)
    assert clone.get_config() == config
    serialized = keras.saving.serialize_keras_object(layer)
    restored = keras.saving.deserialize_keras_object(serialized)
    assert isinstance(restored, AttentionLayer)
    assert restored.key_dim == 6


@pytest.mark.parametrize("n_timesteps, n_bins", [(6, 3), (7, 3), (427, 61), (1460, 64)])
def test_time_resampling_averages_bins_and_interpolates_back(n_timesteps, n_bins):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, n_timesteps, 3)).astype("float32")
    short = _to_numpy(TimeResampling(n_bins)(x))
    size = -(-n_timesteps // n_bins)
    expected = [
        x[:, start : start + size].mean(axis=1) for start in range(0, n_timesteps, size)
    ]
    np.testing.assert_allclose(short, np.stack(expected, axis=1), rtol=1e-5, atol=1e-6)
    # A straight line survives the round trip between the bins' centres.
    line = np.tile(
        np.linspace(-1, 1, n_timesteps, dtype="float32")[None, :, None], (1, 1, 2)
    )
    back = _to_numpy(
        TimeResampling(n_timesteps, source_timesteps=n_timesteps)(
            TimeResampling(n_bins)(line)
        )
    )
    inner = slice(size, n_timesteps - 2 * size)
    np.testing.assert_allclose(back[:, inner], line[:, inner], atol=1e-5)
    assert back.shape == line.shape


def test_time_positions_say_where_each_step_lies():
    x = np.zeros((2, 8, 3), dtype="float32")
    out = _to_numpy(TimePositions()(x))
    assert out.shape == (2, 8, 8)
    np.testing.assert_array_equal(out[..., :3], 0.0)
    np.testing.assert_allclose(out[0, :, 3], np.arange(8) / 8)
    np.testing.assert_allclose(
        out[0, :, 4], np.sin(2 * np.pi * np.arange(8) / 8), atol=1e-6
    )
    np.testing.assert_allclose(out[1], out[0])


@pytest.mark.parametrize("layer", [TimeResampling(4), TimePositions()])
def test_time_layers_config_round_trip(layer):
    restored = type(layer).from_config(layer.get_config())
    assert restored.get_config() == layer.get_config()
