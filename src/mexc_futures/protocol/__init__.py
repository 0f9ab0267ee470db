"""The MEXC wire format, pure: the endpoint table (the only place paths are written), wire structs
(``rest_*``, ``ws_*``), the codec, signing, wire -> domain conversion (``convert``), the
per-connection session machine, the subscription ledger, rate limits and the error-code table.

Imports only ``model`` (and ``errors``/``config``/``clock``); no I/O (``test_core_purity``).
"""
