"""The pieces of the ``sktransfer`` command line, one module per concern.

``diagnose`` (the sub-command: options and stages), ``_reading`` (separator
sniffing and chunked reading, with pyarrow when it is installed), ``_scan``
(the pass over each file: checks, a stratified sample of bounded size, the
numbers spilled for the drift statistics' passes), ``_output`` (the printed
report, the HTML report), ``_progress`` (stage lines on stderr), ``_json``
(the versioned ``--json`` document) and ``_text`` (one-line errors, escaping
of names).
"""
