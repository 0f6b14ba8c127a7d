"""What operators see of the running provider: Prometheus metrics and structured logs.

``metrics`` defines every metric once; the code where a thing happens counts it there
(``audit.record`` for logins, failures and lock-outs, ``Delivery.send`` for messages, the
password service for its queue, the error handler for outages). ``requests`` times every
request at the WSGI level and writes its log line; ``logs`` formats log records as JSON.
This package imports nothing else of the provider, so every layer may use it.
"""
