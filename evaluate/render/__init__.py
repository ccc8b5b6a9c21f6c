"""Views of reports and corpora: text tables, plots, the static HTML site."""
