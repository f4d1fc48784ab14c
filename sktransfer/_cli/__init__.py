"""The pieces of the ``sktransfer`` command line, one module per concern.

``diagnose`` (the sub-command: options, the stages, the printed report),
``_reading`` (separator sniffing and chunked reading, with pyarrow when it is
installed), ``_scan`` (one streaming pass per file: checks, a stratified
sample of bounded size, histograms for PSI and KS), ``_progress`` (stage
lines on stderr), ``_json`` (the versioned ``--json`` document) and
``_text`` (one-line errors, escaping of names).
"""
