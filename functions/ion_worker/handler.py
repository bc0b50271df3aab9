"""The sales worker: Instant Notification sales and tasks from the ion-sales and ion-tasks queues."""

from tixpilot.tasks import ion_worker_function

lambda_handler = ion_worker_function()
