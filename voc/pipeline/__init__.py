"""The component pipeline: registry, config, execution."""
