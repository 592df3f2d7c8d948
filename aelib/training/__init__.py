"""Training: the plain loop (train), input corruption (noise), the Train page's background job
(training_job), torchrun/DDP (distributed), the server's job queue (jobs) and memory budget (memory)."""
