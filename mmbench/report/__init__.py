"""Reports built from result files only: leaderboard (Markdown, CSV, JSON, HTML), PNG plots,
and ``compare`` (paired statistics, regression gate).

Nothing here imports torch: these modules read the files written by :mod:`mmbench.results`.
matplotlib is imported only by :mod:`mmbench.report.plots`, when plots are asked for.
"""
