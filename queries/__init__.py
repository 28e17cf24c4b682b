"""The core of the social business dashboard: everything that touches the warehouse. Pages and the CLI are thin shells over it."""
