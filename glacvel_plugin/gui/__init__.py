"""Desktop dialogs; they build parameter dicts and run the Processing algorithms."""
