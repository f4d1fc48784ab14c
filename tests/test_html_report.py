"""The HTML report: its sections, its escaping, its inputs, and how it renders in a real browser."""

import base64
import io
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktransfer import stack_domains
from sktransfer.diagnostics import (
    domain_classifier_auc,
    drift_report,
    estimate_target_score,
    html_report,
    plot_distributions,
    render_html_report,
)
from sktransfer.diagnostics._report_browser import find_chromium, load_in_chromium
from sktransfer.diagnostics._report_text import esc

pytest.importorskip("matplotlib")

SECTIONS = ("summary", "drift", "distributions", "domain", "scores", "weights", "estimate", "notes")
HOSTILE = ["<script>alert(1)</script>", "a&b", 'say "hi"', "\x1b[31mred\x1b[0m", "line\nbreak",
           "\u202eevil", "$x$ cost", "price $"]


def _shifted(n_source=300, n_target=200, shift=1.0, seed=0, names=None):
    """A DataFrame whose target rows move along the second feature only."""
    rng = np.random.default_rng(seed)
    Xs = rng.normal(size=(n_source, 4))
    Xt = rng.normal(size=(n_target, 4))
    Xt[:, 1] += shift
    ys = (Xs[:, 0] + Xs[:, 1] + rng.normal(size=n_source) > 0).astype(int)
    names = names or ["income", "utilisation", "age", "tenure"]
    X, y, sd = stack_domains(pd.DataFrame(Xs, columns=names), ys, pd.DataFrame(Xt, columns=names))
    return X, y, sd


def _report(tmp_path, X, y, sd, name="report.html", **kwargs):
    kwargs.setdefault("estimator", make_pipeline(StandardScaler(), LogisticRegression()))
    kwargs.setdefault("domain_estimator", LogisticRegression())  # quicker than the default boosting
    return html_report(X, y, sd, path=tmp_path / name, cv=3, n_repeats=2, random_state=0, **kwargs).read_text(
        encoding="utf-8")


def _images(page):
    return re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)


def _summary(page):
    return page[page.index('<section id="summary">'):page.index('<section id="drift">')]


def test_report_has_every_section_and_nothing_external(tmp_path):
    X, y, sd = _shifted()
    page = _report(tmp_path, X, y, sd, title="Q3 applicants", notes="sampled nothing")
    for key in SECTIONS:
        assert f'<section id="{key}">' in page
    assert "Not computed" not in page
    # self-contained: no script, no stylesheet or image fetched from anywhere
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", page)
    assert re.findall(r"""src=["']([^"']*)""", page) == ["data:image/png;base64," + b for b in _images(page)]
    images = _images(page)
    assert len(images) == 4 == page.count("<img ")
    PIL = pytest.importorskip("PIL.Image")
    for data in images:
        with PIL.open(io.BytesIO(base64.b64decode(data))) as im:
            im.load()
            assert im.size[0] > 300 and im.size[1] > 100
    summary = _summary(page)
    for needle in ("domain AUC", "significant / moderate / stable", "AUC on target (estimated)",
                   "300 &rarr; 200", "effective rows", "Findings"):
        assert needle in summary
    assert "sampled nothing" in page and "<title>Q3 applicants</title>" in page


def test_report_flags_a_real_shift_and_not_its_absence(tmp_path):
    """On shifted data the shifted feature leads and is significant, the domain AUC
    reads as a shift; on identically distributed data nothing is flagged."""
    X, y, sd = _shifted(shift=1.5)
    page = _report(tmp_path, X, y, sd, name="shift.html")
    drift_table = page[page.index("<table class='drift'>"):]
    body = drift_table.index("<tbody>")
    first_row = drift_table[body:drift_table.index("</tr>", body)]
    assert "utilisation" in first_row and "significant" in first_row
    assert "1 / " in _summary(page)  # one significant feature
    assert re.search(r"domain AUC &middot; <b>(clear|strong|severe)</b>", page)

    X0, y0, sd0 = _shifted(shift=0.0, seed=1)
    calm = _report(tmp_path, X0, y0, sd0, name="calm.html")
    assert "domain AUC &middot; <b>low</b>" in calm
    assert "No feature moved significantly" in calm
    assert "<span class='band significant'>" not in calm


def test_user_strings_are_escaped(tmp_path):
    names = HOSTILE[:4]
    X, y, sd = _shifted(names=names)
    X2 = X.copy()
    X2.columns = HOSTILE[4:]
    X = pd.concat([X, X2], axis=1)
    title = "<b>Title</b> & \x07bell"
    page = _report(tmp_path, X, y, sd, title=title, notes=["<img src=x onerror=alert(1)>", "tab\there"])
    for raw in HOSTILE[:3] + [title, "<img src=x"]:
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a&amp;b" in page and "say &quot;hi&quot;" in page
    assert "\\x1b[31mred\\x1b[0m" in page and "line\\nbreak" in page and "\\u202eevil" in page
    assert "&lt;b&gt;Title&lt;/b&gt; &amp; \\x07bell" in page
    assert "tab\\there" in page
    # no control character but the page's own newlines
    assert not [ch for ch in page if ord(ch) < 32 and ch != "\n"]
    assert "\u202e" not in page
    assert "Not computed" not in page  # "$" in names did not break the figures
    assert len(_images(page)) == 4


def test_escape_helper():
    assert esc("<a href='x'>") == "&lt;a href=&#x27;x&#x27;&gt;"
    assert esc("\x1b[0m\r\n\u200b") == "\\x1b[0m\\r\\n\\u200b"
    assert esc(3) == "3"


def test_render_with_nothing_says_what_is_missing(tmp_path):
    page = render_html_report(tmp_path / "empty.html").read_text(encoding="utf-8")
    for key in SECTIONS:
        assert f'<section id="{key}">' in page
    assert page.count("Not computed") == 6  # every section but the summary and the notes
    assert "<img " not in page


def test_render_from_precomputed_results(tmp_path):
    X, y, sd = _shifted()
    drift = drift_report(X, sample_domain=sd)
    domain = domain_classifier_auc(X, sample_domain=sd, cv=3, n_repeats=2, random_state=0,
                                   estimator=LogisticRegression())
    model = LogisticRegression().fit(X[sd > 0].iloc[:150], y[sd > 0][:150])
    rest = np.r_[np.arange(150, 300), np.arange(300, 500)]
    estimate = estimate_target_score(model, X.iloc[rest], y[rest], sd[rest], random_state=0)
    scores = model.predict_proba(X)[:, 1]
    weights = np.random.default_rng(0).lognormal(size=150)
    page = render_html_report(
        tmp_path / "pre.html", drift=drift, domain=dict(domain), estimate=estimate._asdict(),
        source_scores=scores[150:300], target_scores=scores[300:], weights=weights,
        source=X[sd > 0], target=X[sd < 0], title="precomputed", n_source=300, n_target=200,
    ).read_text(encoding="utf-8")
    assert "Not computed" not in page and len(_images(page)) == 4
    assert "<td>source</td><td class='num'>150</td>" in page
    assert "Weighted source rows</td><td class='num'>150</td>" in page
    # a drift table with fewer columns (another tool's, or an older one): bands from the PSI, dashes
    lean = render_html_report(tmp_path / "lean.html", drift=drift[["psi"]]).read_text(encoding="utf-8")
    counts = drift["band"].value_counts()
    assert (f"{counts.get('significant', 0)} / {counts.get('moderate', 0)} / {counts.get('stable', 0)}"
            in _summary(lean))
    assert "<td class='num'>&ndash;</td>" in lean


def test_fitted_and_unfitted_estimators(tmp_path):
    X, y, sd = _shifted()
    fitted = LogisticRegression().fit(X.iloc[:300], y[:300])  # rows it was trained on: the user's call
    page = _report(tmp_path, X, y, sd, name="fitted.html", estimator=fitted)
    assert "<td>source</td><td class='num'>300</td>" in page
    unfitted = _report(tmp_path, X, y, sd, name="unfitted.html", estimator=LogisticRegression())
    assert "<td>source</td><td class='num'>150</td>" in unfitted  # fitted on the other half

    without = _report(tmp_path, X, y, sd, name="nomodel.html", estimator=None)
    assert without.count("Not computed") == 2  # scores and estimate
    assert "Weighted source rows</td><td class='num'>300</td>" in without


def test_same_seed_same_report(tmp_path):
    X, y, sd = _shifted()
    stamp = re.compile(r"generated [0-9: -]+ UTC")
    first = stamp.sub("", _report(tmp_path, X, y, sd, name="a.html"))
    second = stamp.sub("", _report(tmp_path, X, y, sd, name="b.html"))
    assert first == second


def test_a_failing_step_leaves_its_section_and_warns(tmp_path):
    X, y, sd = _shifted()
    X["grade"] = np.where(np.arange(len(X)) % 3 == 0, "A", "B")  # text: the default domain classifier refuses it
    with pytest.warns(UserWarning, match="the domain section is left out"):
        page = _report(tmp_path, X, y, sd, name="text.html", estimator=None, domain_estimator=None)
    domain = page[page.index('<section id="domain">'):page.index('<section id="scores">')]
    assert "Not computed: " in domain and "grade" in domain
    assert "<td class='name'>grade</td><td>categorical</td>" in page  # drift still covers it
    assert "domain: not computed" in page  # and the notes say so


def test_bad_inputs_are_clear_errors(tmp_path):
    X, y, sd = _shifted()
    drift = drift_report(X, sample_domain=sd)
    out = tmp_path / "bad.html"
    with pytest.raises(ValueError, match="'psi' column"):
        render_html_report(out, drift=drift.drop(columns="psi"))
    with pytest.raises(ValueError, match="source_scores has 1 value"):
        render_html_report(out, source_scores=[0.1, np.nan], target_scores=[0.2])
    with pytest.raises(ValueError, match="both source_scores and target_scores"):
        render_html_report(out, source_scores=[0.1, 0.2])
    with pytest.raises(ValueError, match="both source and target"):
        render_html_report(out, source=X)
    with pytest.raises(ValueError, match="non-negative"):
        render_html_report(out, weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="top must be an integer"):
        render_html_report(out, top=0)
    with pytest.raises(ValueError, match="TargetScoreEstimate"):
        render_html_report(out, estimate={"score": 0.7})
    with pytest.raises(ValueError, match="needs y"):
        html_report(X, None, sd, path=out, estimator=LogisticRegression())
    with pytest.raises(ValueError, match="target rows"):
        html_report(X, y, np.ones(len(X), dtype=int), path=out)
    assert not out.exists()


def test_plot_distributions_public():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, _, sd = _shifted()
    Xs, Xt = X[sd > 0], X[sd < 0]
    Xs = Xs.assign(grade=np.where(np.arange(len(Xs)) % 2, "A", "B"))
    Xt = Xt.assign(grade="A")
    fig = plot_distributions(Xs, Xt, top=5)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles[0].startswith("grade") and titles[1].startswith("utilisation")
    plt.close(fig)
    with pytest.raises(ValueError, match="same features"):
        plot_distributions(Xs.to_numpy()[:, :2], Xt.to_numpy())


def test_drift_over_time_section(tmp_path):
    """Target periods get a PSI-by-period section; the period column is not a feature."""
    X, y, sd = _shifted(n_source=1000, n_target=1200)
    X = X.assign(quarter=np.r_[["dev"] * 1000, np.repeat(["2024Q1", "2024Q2", "2024Q3"], 400)])
    X.loc[X["quarter"] == "2024Q3", "age"] += 2.0  # a break in the last quarter
    page = _report(tmp_path, X, y, sd, name="periods.html", estimator=None, period="quarter")
    section = page[page.index('<section id="over_time">'):page.index('<section id="domain">')]
    assert "<th class='num'>2024Q3</th>" in section and section.count("<img ") == 1
    age_row = section[section.index("<td class='name'>age</td>"):]
    age_row = age_row[:age_row.index("</tr>")]
    assert re.findall(r"band-(\w+)'>", age_row) == ["stable", "stable", "significant"]
    assert "<td class='name'>quarter</td>" not in page  # not a feature
    assert '<section id="over_time">' not in _report(tmp_path, *_shifted(), name="single.html", estimator=None)


def _characteristic_row(page, feature):
    table = page[page.index("<h3>Characteristic analysis</h3>"):]
    row = table[table.index(f"<td class='name'>{feature}</td>"):]
    return [float(v) for v in re.findall(r"<td class='num'>(?:&[a-z]+; )?\+?(-?[0-9.]+)</td>", row[:row.index("</tr>")])]


def test_characteristic_analysis_points_the_right_way(tmp_path):
    """The outcome rises with utilisation and the target has more of it: the target's mix
    of utilisation bins implies a higher rate (as the target's true rate is); age, which
    neither moves nor matters, implies no change."""
    X, y, sd = _shifted(n_source=2000, n_target=2000, shift=1.5)
    page = _report(tmp_path, X, y, sd, name="characteristics.html", estimator=None, top=4)
    psi, source_rate, implied, change, uncovered = _characteristic_row(page, "utilisation")
    assert abs(source_rate - y[sd > 0].mean()) < 1e-3
    assert implied > source_rate + 0.1 and change > 10 and uncovered == 0.0
    rng = np.random.default_rng(0)  # the target's true rate, drawn as the source's outcome was
    Xt = X[sd < 0].to_numpy()
    true_rate = np.mean(Xt[:, 0] + Xt[:, 1] + rng.normal(size=len(Xt)) > 0)
    assert abs(implied - true_rate) < abs(source_rate - true_rate)
    _, _, age_implied, _, _ = _characteristic_row(page, "age")
    assert abs(age_implied - source_rate) < 0.03
    assert "alone moves the positive rate most" in _summary(page)


def test_characteristic_shift_categories():
    from sktransfer.diagnostics._report_characteristics import characteristic_shift, positive_of

    source = np.array(["a"] * 50 + ["b"] * 50, dtype=object)
    target = np.array(["a"] * 20 + ["b"] * 60 + ["new"] * 20, dtype=object)
    positive = positive_of(np.r_[np.zeros(50), np.ones(40), [np.nan] * 10])  # b defaults, a does not
    source_rate, implied, uncovered = characteristic_shift(source, target, positive)
    assert source_rate == pytest.approx(40 / 90)
    assert implied == pytest.approx(60 / 80) and uncovered == pytest.approx(0.2)
    with pytest.raises(ValueError, match="two values"):
        positive_of([0, 1, 2])
    with pytest.raises(ValueError, match="source_labels has 3 labels"):
        render_html_report("unused.html", source=np.zeros((4, 1)), target=np.zeros((2, 1)),
                           source_labels=[0, 1, 0])


# --------------------------------------------------------------------- in a real browser

chromium = pytest.mark.skipif(find_chromium() is None, reason="no Chromium (apt-get install chromium)")


@chromium
def test_report_renders_in_chromium(tmp_path):
    X, y, sd = _shifted(names=HOSTILE[:4])
    path = tmp_path / "browser.html"
    page = _report(tmp_path, X, y, sd, name="browser.html", title="<script>alert('t')</script>")
    shot = tmp_path / "shot.png"
    result = load_in_chromium(path, screenshot=shot, pdf=tmp_path / "printed.pdf")
    printed = (tmp_path / "printed.pdf").read_bytes()
    assert printed.startswith(b"%PDF") and 2 <= len(re.findall(rb"/Type\s*/Page[^s]", printed)) <= 8
    assert result["messages"] == []  # no console message, no exception, no failed load
    assert result["title"] == "<script>alert('t')</script>"  # shown as text, not run
    assert len(result["images"]) == page.count("<img ") == 4
    for image in result["images"]:
        assert image["complete"] and image["decoded"] and image["width"] > 300, image
    text = result["text"]
    for heading in ("1. Summary", "2. Feature drift", "4. Domain classifier", "7. Estimated performance"):
        assert heading in text
    assert "<script>alert(1)</script>" in text  # the hostile feature name, displayed literally
    PIL = pytest.importorskip("PIL.Image")
    with PIL.open(shot) as im:
        assert im.size[0] == 1100 and im.size[1] == result["height"] > 2000
        colours = im.convert("RGB").resize((110, im.size[1] // 10)).getcolors(maxcolors=1 << 16)
        assert colours is not None and len(colours) > 50  # not a blank page


@chromium
def test_the_browser_check_catches_a_broken_page(tmp_path):
    """The check above can fail: a broken image and a console error are seen."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><head><title>x</title></head><body>"
                   "<img alt='broken' src='data:image/png;base64,AAAA'>"
                   "<img alt='absent' src='missing.png'>"
                   "<script>console.error('boom')</script></body></html>", encoding="utf-8")
    result = load_in_chromium(bad)
    assert [i["decoded"] for i in result["images"]] == [False, False]
    levels = [level for level, _ in result["messages"]]
    assert levels.count("error") == 2  # console.error and the missing file
