"""One module per output format; each writer puts ``<page name><suffix>`` in the folder."""
