"""Benchmarks: each script measures one speed, memory or disk target and prints its figures
(see README.md here). A regular package, so that no installed package named ``benchmarks``
(pyarrow ships one) shadows it."""
