"""moto server with one request at a time: DynamoDB's conditional writes are atomic, moto's are not.

moto's threaded server evaluates a ConditionExpression and applies the update as separate Python steps without
a lock (moto 5.2, `DynamoDBBackend.update_item`), so two concurrent conditional writes can both pass their
condition: two callers both "take" the same refresh lease, which real DynamoDB never allows. Under CPU load
this happened in about one round in ten of 16 concurrent `attribute_not_exists` updates. Serialising the
requests restores the single-item atomicity the vault relies on (leases, version fencing, transactions); moto
is CPU-bound Python under the GIL anyway, so little throughput is lost. Connections are still accepted
concurrently, so an idle keep-alive connection never blocks anyone.

Usage: python local/moto_server.py [moto_server arguments]   (started by local/emulator.ts)
"""
import threading

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_lock = threading.Lock()
_dispatch = DomainDispatcherApplication.__call__


def _one_at_a_time(self, environ, start_response):
    # Flask runs the backend operation inside the WSGI call and returns an already rendered body, so holding the
    # lock for the call covers the whole read-check-write of every request.
    with _lock:
        return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _one_at_a_time

if __name__ == "__main__":
    server.main()
