"""The ``glacvel`` QGIS Processing provider and its algorithms.

Each algorithm lives in a module ``alg_<topic>.py`` that lists its classes in a
module-level ``ALGORITHMS`` list; the provider finds them there. Algorithms are
thin glue: they parse parameters, call ``glacvel_plugin.io`` and
``glacvel_plugin.core``, and forward progress and cancel.
"""
