"""Documents made from HTML: PDF rendering, and ZIP archives of documents. Knows nothing of
the features that use it."""
