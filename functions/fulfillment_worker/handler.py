"""The fulfillment worker: deliveries of sold tickets, their retries, and completions in the POS,
from the fulfillment queue."""

from tixpilot.tasks import fulfillment_worker_function

lambda_handler = fulfillment_worker_function()
