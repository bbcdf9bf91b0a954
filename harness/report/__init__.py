"""Report renderers: one module per format, each a function of one ``Run`` and its analysis."""
