"""The sktransfer command line: ``python -m sktransfer`` or ``sktransfer``.

With no command it runs ``demo``: domain adaptation on a built-in task made
from data that scikit-learn ships (no download, numpy/scipy/scikit-learn
only), comparing a source-only model with the same model after CORAL.

Commands are argparse sub-commands (:func:`_build_parser`); a new one (for
instance fitting on the user's own CSV files) is one more ``add_parser`` and
one more ``_run_<name>`` function.

Exit status: 0 on success, 2 on bad usage (argparse's convention).
"""

import argparse
import sys
import time

import numpy as np

from . import __version__
from ._domain import stack_domains
from .alignment import CORAL, DomainStandardScaler
from .datasets._synthetic import DIGITS_SHIFTS, MAX_DIGITS_SEVERITY, make_shifted_digits
from .pipeline import make_da_pipeline
from ._cli.diagnose import add_parser as add_diagnose_parser

__all__ = ["main"]

_DEFAULT_COMMAND = "demo"
_ESTIMATORS = ("logreg", "knn")


def _make_estimator(name):
    if name == "logreg":
        from sklearn.linear_model import LogisticRegression

        # C=0.1: the best of 0.01 / 0.1 / 1 on held-out *source* accuracy
        # (0.934 / 0.954 / 0.952, mean of 5 splits); the target was not used
        return LogisticRegression(C=0.1, max_iter=2000), "LogisticRegression(C=0.1)"
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=5), "KNeighborsClassifier(n_neighbors=5)"


def _demo_arms(estimator):
    """The pipelines compared by the demo: (label, scaling, adapter, pipeline)."""
    from sklearn.base import clone
    from sklearn.preprocessing import StandardScaler

    return [
        ("source only", "StandardScaler on both domains", "-",
         make_da_pipeline(StandardScaler(), clone(estimator))),
        ("CORAL", "StandardScaler on both domains", "CORAL(reg=1)",
         make_da_pipeline(StandardScaler(), CORAL(), clone(estimator))),
        ("source only", "each domain standardised", "-",
         make_da_pipeline(DomainStandardScaler(), clone(estimator))),
        ("CORAL", "each domain standardised", "CORAL(reg=1)",
         make_da_pipeline(DomainStandardScaler(), CORAL(), clone(estimator))),
    ]


def run_demo(shift="motion_blur", estimator="logreg", severity=1.0, random_state=0,
             reference=True):
    """Fit the demo's pipelines on one shifted-digits task and score them.

    Parameters
    ----------
    shift : str, default="motion_blur"
        A shift of :func:`~sktransfer.datasets._synthetic.make_shifted_digits`.
    estimator : {"logreg", "knn"}, default="logreg"
        The final classifier of every pipeline.
    severity : float, default=1.0
        Strength of the shift.
    random_state : int, default=0
        Seed of the source/target split and of the held-out source split.
    reference : bool, default=True
        Also compute the reference score (the model trained on target labels).

    Returns
    -------
    result : dict
        ``"rows"``: one dict per pipeline with ``method``, ``scaling``,
        ``adapter``, ``target_accuracy``, ``source_accuracy`` and
        ``fit_seconds``; ``"reference"``: the cross-validated accuracy of
        the same classifier trained on target labels (an upper reference,
        not a method; None unless ``reference``); and a description of the
        data.
    """
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score, train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if estimator not in _ESTIMATORS:
        raise ValueError(f"estimator must be one of {_ESTIMATORS}, got {estimator!r}.")
    Xs, ys, Xt, yt = make_shifted_digits(shift, severity=severity, random_state=random_state)
    Xs_fit, Xs_test, ys_fit, ys_test = train_test_split(
        Xs, ys, test_size=0.25, stratify=ys, random_state=random_state
    )
    # target labels are masked (-1) here: no pipeline ever sees them in fit
    X, y, sample_domain = stack_domains(Xs_fit, ys_fit, Xt)
    base, base_name = _make_estimator(estimator)

    rows = []
    for method, scaling, adapter, pipe in _demo_arms(base):
        start = time.perf_counter()
        pipe.fit(X, y, sample_domain=sample_domain)
        fit_seconds = time.perf_counter() - start
        target_accuracy = float(np.mean(pipe.predict(Xt) == yt))
        # held-out source rows go through the adapters as source rows
        source_pred = pipe.predict(Xs_test, sample_domain=np.ones(len(ys_test), dtype=int))
        rows.append({
            "method": method,
            "scaling": scaling,
            "adapter": adapter,
            "target_accuracy": target_accuracy,
            "source_accuracy": float(np.mean(source_pred == ys_test)),
            "fit_seconds": fit_seconds,
        })

    if reference:
        # the only use of the target labels for fitting, in a separate model
        # that is reported as a reference, not as a method
        reference = float(cross_val_score(
            make_pipeline(StandardScaler(), clone(base)), Xt, yt, cv=5
        ).mean())
    else:
        reference = None
    return {
        "rows": rows,
        "reference": reference,
        "shift": shift,
        "severity": severity,
        "estimator": base_name,
        "random_state": random_state,
        "n_source": len(ys),
        "n_source_fit": len(ys_fit),
        "n_source_test": len(ys_test),
        "n_target": len(yt),
    }


def _format_demo(result):
    shift = result["shift"]
    severity = "" if result["severity"] == 1.0 else f", severity {result['severity']:g}"
    lines = [
        "sktransfer demo: domain adaptation on shifted handwritten digits",
        "",
        f"  data    scikit-learn's 8x8 digits (load_digits), split in two halves "
        f"(random_state={result['random_state']})",
        f"  source  {result['n_source']} images as scanned, labelled: "
        f"{result['n_source_fit']} to fit, {result['n_source_test']} held out",
        f"  target  {result['n_target']} other images, shift {shift!r}{severity}:",
        f"          {DIGITS_SHIFTS[shift]}",
        f"  model   {result['estimator']}",
        "",
        "  Every pipeline is fitted on the labelled source rows and the unlabelled",
        "  target rows. The target labels are known for this built-in dataset; they",
        "  are used only to compute 'target acc' and the reference line below, never",
        "  to fit or to choose the four pipelines.",
        "",
    ]
    header = ("method", "scaling", "adapter", "target acc", "source acc", "fit time")
    table = [header] + [
        (r["method"], r["scaling"], r["adapter"], f"{r['target_accuracy']:.3f}",
         f"{r['source_accuracy']:.3f}", f"{1000 * r['fit_seconds']:.0f} ms")
        for r in result["rows"]
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    right = {3, 4, 5}

    def fmt(row):
        return "  " + "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths))
        ).rstrip()

    lines.append(fmt(header))
    lines.append("  " + "  ".join("-" * w for w in widths))
    lines.extend(fmt(row) for row in table[1:])
    lines.append("")
    lines.append("  source acc: on the held-out source images. target acc: on all target images.")
    if result["reference"] is not None:
        lines.append(
            "  Reference, not a method: the same model trained on target labels scores "
            f"{result['reference']:.3f} (5-fold CV)."
        )
    rows = result["rows"]
    lines.append("")
    lines.append("  CORAL vs source only, target accuracy:")
    lines.append(
        f"    {_points(rows[3], rows[2])}  with each domain standardised (the fair comparison)"
    )
    lines.append(f"    {_points(rows[1], rows[0])}  with one StandardScaler on both domains")
    lines.append(
        "  CORAL re-colours source rows to the target covariance but leaves means as they"
    )
    lines.append("  are: standardise each domain first.")
    return "\n".join(lines)


def _points(adapted, source_only):
    gain = 100 * (adapted["target_accuracy"] - source_only["target_accuracy"])
    return f"{gain:+5.1f} points"


def _run_demo(args):
    result = run_demo(
        shift=args.shift,
        estimator=args.estimator,
        severity=args.severity,
        random_state=args.random_state,
    )
    print(_format_demo(result))
    return 0


def _severity(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (0 < value <= MAX_DIGITS_SEVERITY):  # also rejects nan
        raise argparse.ArgumentTypeError(
            f"must be a number in (0, {MAX_DIGITS_SEVERITY:g}], got {text!r}"
        )
    return value


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, 2**32), got {text!r}")
    return value


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="sktransfer",
        description="Transfer learning and domain adaptation for scikit-learn. "
        f"With no command, runs '{_DEFAULT_COMMAND}'.",
    )
    parser.add_argument("--version", action="version", version=f"sktransfer {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="compare source-only and CORAL on shifted digits (built in, offline)",
        description="Domain adaptation on a built-in task: scikit-learn's 8x8 digits,\n"
        "half as source, the other half through a domain shift as target. Prints\n"
        "target and held-out source accuracy, with and without CORAL.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="shifts:\n" + "\n".join(
            f"  {name:12s} {what}" for name, what in DIGITS_SHIFTS.items()
        ),
    )
    demo.add_argument("--shift", choices=tuple(DIGITS_SHIFTS), default="motion_blur",
                      help="the domain shift of the target half (default: %(default)s)")
    demo.add_argument("--severity", type=_severity, default=1.0,
                      help="strength of the shift, in (0, %(max)g] (default: %(default)s)"
                      % {"max": MAX_DIGITS_SEVERITY, "default": "%(default)s"})
    demo.add_argument("--estimator", choices=_ESTIMATORS, default="logreg",
                      help="the classifier of every pipeline (default: %(default)s)")
    demo.add_argument("--random-state", type=_seed, default=0,
                      help="seed of the source/target split (default: %(default)s)")
    demo.set_defaults(run=_run_demo)
    add_diagnose_parser(commands)
    return parser


def main(argv=None):
    """Run the sktransfer command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments, without the program name; ``sys.argv[1:]`` when None.
        With no command (empty, or starting with an option other than
        ``-h``/``--help``/``--version``), the ``demo`` command runs with
        those options.

    Returns
    -------
    status : int
        0 on success. Bad usage exits with status 2 (``SystemExit``), with a
        message on stderr.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _build_parser()
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, _DEFAULT_COMMAND)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
