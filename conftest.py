"""The repository's own test set-up. The plugin itself comes from the pytest11 entry point."""
