"""Benchmarks that print Alto's figures beside a peer's or a limit's (`python -m bench`).

Each benchmark is a module with a `run(*, options: Options) -> str` function that starts
what it needs on loopback, prints its table and returns it; `BENCHMARKS` in
`bench.__main__` names them. No figure here is ever a pass/fail assertion.
"""
