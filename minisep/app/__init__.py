"""The application built on the core: model zoo, training loop, checkpoints, the CLI's runs.

A first reader can skip it: everything here is plain use of `minisep.nn`, `minisep.optim` and
`minisep.data`.
"""
