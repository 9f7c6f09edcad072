"""Customer-journey maps: stages, touchpoints and how feedback links to them."""
