"""The ``crypto-risk`` command line: the composition root that ties the packages together."""
