"""Documents made from HTML: PDF rendering. Knows nothing of the features that use it."""
