"""The architectures of the two pretrained digit CNNs of ccexam 1.0.0 (needs torch)."""

from torch import nn


class MnistCNN(nn.Module):
    """ccexam's MNIST network: 28 x 28 grey input, 10 classes.

    ``features``: Conv(1, 32) ReLU MaxPool, Conv(32, 64) ReLU MaxPool;
    ``classifier``: Linear(3136, 128) ReLU (``classifier.1``: the 128-d
    penultimate features), Linear(128, 10).
    """

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class UspsCNN(nn.Module):
    """ccexam's USPS network: 16 x 16 grey input, 10 classes.

    ``features``: Conv(1, 32) BatchNorm ReLU MaxPool, Conv(32, 64) BatchNorm
    ReLU MaxPool; ``classifier``: Flatten, Linear(1024, 128) ReLU
    (``classifier.2``: the 128-d penultimate features), Dropout, Linear(128, 10).
    """

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(1024, 128), nn.ReLU(), nn.Dropout(0.5),
                                        nn.Linear(128, 10))

    def forward(self, x):
        return self.classifier(self.features(x))
