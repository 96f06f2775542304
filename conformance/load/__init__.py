"""`crun-conformance load`: the suite's cases sent under load by Locust users, every answer judged by the suite's checks.

Nothing here imports Locust or gevent at import time except `user` and
`node`, which only the load run's own child processes import: gevent
monkey-patches the process that imports it, and `certify` and the tests must
stay unpatched.
"""
