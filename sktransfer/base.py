"""The few mixins that every sktransfer estimator shares."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._domain import fit_domains, predict_domains
from ._validation import check_magnitude

__all__ = ["DomainAwareMixin", "BaseAdapter"]


class DomainAwareMixin:
    """Marks an estimator that reads the domain convention itself.

    Such an estimator takes ``sample_domain`` in ``fit`` and requests it by
    default under sklearn's metadata routing, so that
    ``pipeline.fit(X, y, sample_domain=...)`` reaches it when routing is on.
    :func:`~sktransfer.make_da_pipeline` leaves such a final step as it is
    instead of wrapping it in :class:`~sktransfer.LabeledOnly`.
    """

    __metadata_request__fit = {"sample_domain": True}
    _sktransfer_domain_aware = True

    def _validate_fit(self, X, y, sample_domain):
        """Validated ``X``, the domain id of each row, and the source and target masks.

        With no target rows (the documented fallback of
        :func:`~sktransfer.fit_domains`, which warns) the target mask is the
        source mask: the source is its own target.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        check_magnitude(X, who=type(self).__name__)
        sample_domain = fit_domains(
            y, sample_domain, n_samples=X.shape[0], estimator=type(self).__name__
        )
        source = sample_domain > 0
        target = sample_domain < 0
        return X, sample_domain, source, target if target.any() else source


class BaseAdapter(DomainAwareMixin, TransformerMixin, BaseEstimator):
    """Base class of the alignment transformers.

    ``fit`` learns from both domains; ``fit_transform`` maps the rows it was
    fitted on with their domains (source rows adapted); ``transform`` treats
    rows as target rows unless ``sample_domain`` says otherwise. Subclasses
    implement two hooks:

    - ``_fit(X, y, source, target)``: learn from validated ``X``, the labels
      as given (or None) and the boolean masks of source and target rows (a fit without target rows gets the
      source mask as target mask, the fallback of
      :func:`~sktransfer.fit_domains`);
    - ``_transform(X, sample_domain)``: map validated ``X``.
    """

    __metadata_request__transform = {"sample_domain": True}

    def fit(self, X, y=None, sample_domain=None):
        """Learn the adaptation from source and target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows, stacked.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (or ``NaN``) marks unlabelled target rows. Only used
            to tell the domains apart when ``sample_domain`` is not given.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain of each row: positive for source, negative for target.

        Returns
        -------
        self : object
            The fitted adapter.
        """
        X, _, source, target = self._validate_fit(X, y, sample_domain)
        self._fit(X, y, source, target)
        return self

    def fit_transform(self, X, y=None, sample_domain=None):
        """Fit, then map the same rows with the domains seen in ``fit``.

        Unlike ``fit(X).transform(X)``, which treats every row as target,
        source rows are adapted here: this is what a pipeline calls while it
        fits, so that the next step learns from adapted source rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows, stacked.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (or ``NaN``) marks unlabelled target rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain of each row: positive for source, negative for target.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            The mapped rows, in the order of ``X``.
        """
        X, sample_domain, source, target = self._validate_fit(X, y, sample_domain)
        self._fit(X, y, source, target)
        return self._transform(X, sample_domain)

    def transform(self, X, sample_domain=None):
        """Map rows; they are target rows unless ``sample_domain`` says otherwise.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to map.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain of each row; by default every row is a target row.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            The mapped rows.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        check_magnitude(X, who=type(self).__name__)
        return self._transform(X, predict_domains(sample_domain, n_samples=X.shape[0]))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags



class BaseReweighter(DomainAwareMixin, BaseEstimator):
    """Base class of the importance weighting methods.

    ``fit`` learns importance weights that make the source rows look like the
    target rows; ``weights_`` holds one weight per fitted row: the learned
    weight on source rows (mean 1 over them) and 1 on target rows (labelled
    target rows, if any, are in-domain already). ``fit_weights`` fits and
    returns them: it is the hook through which
    :class:`~sktransfer.LabeledOnly` (and so :func:`~sktransfer.make_da_pipeline`
    when a reweighter stands just before the final estimator) passes the
    weights to the final fit as ``sample_weight``.

    Subclasses implement ``_fit_weights(X, source, target) -> ndarray of shape
    (n_source,)``, non-negative weights for the rows of ``X[source]``.
    """

    def fit(self, X, y=None, sample_domain=None):
        """Learn importance weights of the source rows toward the target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows, stacked.
        y : array-like of shape (n_samples,), default=None
            Labels; ``-1`` (or ``NaN``) marks unlabelled target rows. Only used
            to tell the domains apart when ``sample_domain`` is not given.
        sample_domain : array-like of int of shape (n_samples,), default=None
            Domain of each row: positive for source, negative for target.

        Returns
        -------
        self : object
            The fitted reweighter, with ``weights_``.
        """
        X, _, source, target = self._validate_fit(X, y, sample_domain)
        source_weights = np.asarray(self._fit_weights(X, source, target), dtype=np.float64)
        if source_weights.shape != (int(source.sum()),) or not np.all(np.isfinite(source_weights)):
            raise RuntimeError(f"{type(self).__name__} produced invalid weights.")
        mean = source_weights.mean()
        weights = np.ones(X.shape[0])
        weights[source] = source_weights / mean if mean > 0 else source_weights
        self.weights_ = weights
        return self

    def fit_weights(self, X, y=None, sample_domain=None):
        """Fit, and return the weight of each row of ``X`` (see ``weights_``)."""
        return self.fit(X, y, sample_domain).weights_
