"""Desktop menus, dialogs and map tools.

The scene chooser and the reference dialog build parameter dicts and run the glacvel
Processing algorithms by id; the time-series tool reads loaded products through
``glacvel_plugin.io.info``.
"""
