"""moto server with one request at a time (DynamoDB's conditional writes are atomic, moto's are not), and SQS sends
and receives in constant time.

moto's threaded server evaluates a ConditionExpression and applies the update as separate Python steps without
a lock (moto 5.2, `DynamoDBBackend.update_item`), so two concurrent conditional writes can both pass their
condition: two callers both "take" the same refresh lease, which real DynamoDB never allows. Under CPU load
this happened in about one round in ten of 16 concurrent `attribute_not_exists` updates. Serialising the
requests restores the single-item atomicity the vault relies on (leases, version fencing, transactions); moto
is CPU-bound Python under the GIL anyway, so little throughput is lost. Connections are still accepted
concurrently, so an idle keep-alive connection never blocks anyone. (So never long-poll SQS here: a
ReceiveMessage with WaitTimeSeconds holds the lock; the local worker loop polls with WaitTimeSeconds 0.)

moto 5.2.5's SQS computes every queue attribute, the three approximate message counts included (each a pass over
all messages with datetime conversions), on every SendMessage (to read ContentBasedDeduplication) and for every
received message (to read MessageRetentionPeriod): O(queue length) per message, so 20,000 queued messages took
more than 10 minutes to send. The patch skips the counts inside send and receive (GetQueueAttributes still
computes them) and makes the visibility test use time.time() instead of a datetime round trip: sends are flat
(about 1,900 messages/s at 20,000 queued).

Usage: python local/moto_server.py [moto_server arguments]   (started by local/emulator.ts)
"""
import threading
import time

from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sqs import models as sqs_models

_lock = threading.Lock()
_dispatch = DomainDispatcherApplication.__call__


def _one_at_a_time(self, environ, start_response):
    # Flask runs the backend operation inside the WSGI call and returns an already rendered body, so holding the
    # lock for the call covers the whole read-check-write of every request.
    with _lock:
        return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _one_at_a_time

_cheap = threading.local()
_COUNTS = {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible"}
_attributes = sqs_models.Queue.attributes.fget


def _queue_attributes(self):
    # Inside send and receive only: every attribute but the counts (which nothing there reads).
    if getattr(_cheap, "on", False):
        self.BASE_ATTRIBUTES = [a for a in type(self).BASE_ATTRIBUTES if a not in _COUNTS]
        try:
            return _attributes(self)
        finally:
            del self.BASE_ATTRIBUTES
    return _attributes(self)


sqs_models.Queue.attributes = property(_queue_attributes)


def _without_counts(method):
    def wrapped(self, *args, **kwargs):
        _cheap.on = True
        try:
            return method(self, *args, **kwargs)
        finally:
            _cheap.on = False
    return wrapped


sqs_models.SQSBackend.send_message = _without_counts(sqs_models.SQSBackend.send_message)
sqs_models.SQSBackend.receive_message = _without_counts(sqs_models.SQSBackend.receive_message)
sqs_models.unix_time_millis = lambda: time.time() * 1000.0

if __name__ == "__main__":
    server.main()
