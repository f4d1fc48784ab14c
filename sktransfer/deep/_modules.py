"""Default networks: an MLP sized from the data, a small CNN for digit images,
and the wrapper that joins a feature extractor, a label head and a domain head."""

import math

import torch
from torch import nn

__all__ = ["MLP", "SmallCNN", "DomainAdaptationNetwork"]


def default_hidden_units(n_features_in):
    """Two hidden layers whose width grows with the number of features:
    twice the features, rounded up to a power of two, between 32 and 256."""
    width = 2 ** math.ceil(math.log2(max(2 * n_features_in, 1)))
    width = int(min(256, max(32, width)))
    return (width, width)


class MLP(nn.Module):
    """A multi-layer perceptron: ``Linear -> ReLU (-> Dropout)`` per hidden layer.

    As a feature extractor (``n_features_out=None``) it returns the
    activations of its last hidden layer; with ``n_features_out`` a final
    linear layer (no activation) follows, as in a domain head.

    Parameters
    ----------
    n_features_in : int
        Number of input features. The deep estimators set it from the data.
    hidden_units : tuple of int, default=None
        Width of each hidden layer. None: two layers, sized from the data
        (twice ``n_features_in`` rounded up to a power of two, in [32, 256]).
    n_features_out : int, default=None
        Size of a final linear layer; None for none.
    dropout : float, default=0.0
        Dropout probability after each hidden layer, in [0, 1).

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import MLP
    >>> MLP(5)(torch.zeros(3, 5)).shape
    torch.Size([3, 32])
    """

    def __init__(self, n_features_in, hidden_units=None, n_features_out=None, dropout=0.0):
        super().__init__()
        if not isinstance(n_features_in, int) or n_features_in < 1:
            raise ValueError(f"n_features_in must be a positive int, got {n_features_in!r}.")
        if hidden_units is None:
            hidden_units = default_hidden_units(n_features_in)
        hidden_units = tuple(hidden_units)
        if any(not isinstance(h, int) or h < 1 for h in hidden_units):
            raise ValueError(f"hidden_units must be positive ints, got {hidden_units!r}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}.")
        layers, width = [], n_features_in
        for units in hidden_units:
            layers += [nn.Linear(width, units), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = units
        if n_features_out is not None:
            layers.append(nn.Linear(width, n_features_out))
        self.layers = nn.Sequential(*layers) if layers else nn.Identity()

    def forward(self, X):
        return self.layers(X)


class SmallCNN(nn.Module):
    """A LeNet-style CNN for small grey images, taking flattened rows.

    Two ``conv 5x5 -> ReLU -> max-pool 2`` blocks (32 and 64 channels) and a
    fully connected layer; it returns ``n_features_out`` features. Rows of
    ``prod(image_shape)`` values are reshaped to ``image_shape``, so the
    flattened images of an sklearn ``X`` can be passed as they are.

    Parameters
    ----------
    image_shape : tuple of int, default=(1, 16, 16)
        ``(channels, height, width)``; height and width divisible by 4.
    n_features_out : int, default=128
        Number of output features.
    dropout : float, default=0.0
        Dropout probability after the fully connected layer.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import SmallCNN
    >>> SmallCNN()(torch.zeros(2, 256)).shape
    torch.Size([2, 128])
    """

    def __init__(self, image_shape=(1, 16, 16), n_features_out=128, dropout=0.0):
        super().__init__()
        image_shape = tuple(image_shape)
        if len(image_shape) != 3 or image_shape[1] % 4 or image_shape[2] % 4:
            raise ValueError(
                "image_shape must be (channels, height, width) with height and width "
                f"divisible by 4, got {image_shape!r}."
            )
        self.image_shape = image_shape
        channels, height, width = image_shape
        self.conv = nn.Sequential(
            nn.Conv2d(channels, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.fc = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * (height // 4) * (width // 4), n_features_out), nn.ReLU(),
        )
        if dropout > 0:
            self.fc.append(nn.Dropout(dropout))

    def forward(self, X):
        return self.fc(self.conv(X.reshape(X.shape[0], *self.image_shape)))


class DomainAdaptationNetwork(nn.Module):
    """A feature extractor, a label head on its features, and an optional
    domain head. ``forward`` returns the label head's output (what ``predict``
    needs); training calls :meth:`features` and the heads itself.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sktransfer.deep import MLP, DomainAdaptationNetwork
    >>> net = DomainAdaptationNetwork(MLP(4, hidden_units=(8,)), nn.Linear(8, 3), nn.Linear(8, 1))
    >>> X = torch.zeros(5, 4)
    >>> net.features(X).shape, net(X).shape, net.domain_head(net.features(X)).shape
    (torch.Size([5, 8]), torch.Size([5, 3]), torch.Size([5, 1]))
    """

    def __init__(self, feature_extractor, label_head, domain_head=None):
        super().__init__()
        self.feature_extractor = feature_extractor
        self.label_head = label_head
        self.domain_head = domain_head

    def features(self, X):
        features = self.feature_extractor(X)
        if isinstance(features, (tuple, list)):
            features = features[0]
        return features.reshape(features.shape[0], -1)

    def forward(self, X):
        return self.label_head(self.features(X))


def output_size(module, input_shape):
    """The number of features ``module`` returns for one row of ``input_shape``."""
    was_training = module.training
    module.eval()  # batch-norm layers must not update on the dummy input
    try:
        with torch.no_grad():
            out = module(torch.zeros((2, *input_shape), dtype=torch.float32))
    except Exception as exc:
        raise ValueError(
            f"The feature extractor {type(module).__name__} failed on input rows of shape "
            f"{tuple(input_shape)}: {exc}. Check that it matches the data (e.g. set its "
            "input size through module__* parameters)."
        ) from exc
    finally:
        module.train(was_training)
    if isinstance(out, (tuple, list)):
        out = out[0]
    if not isinstance(out, torch.Tensor) or out.ndim < 2 or out.shape[0] != 2:
        raise ValueError(
            f"The feature extractor {type(module).__name__} must return a tensor with one "
            f"row per input row; got {type(out).__name__} of shape {getattr(out, 'shape', None)}."
        )
    return int(out[0].numel())
