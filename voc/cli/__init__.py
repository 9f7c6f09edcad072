"""The `voc` command line."""
