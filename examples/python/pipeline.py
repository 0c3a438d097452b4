#!/usr/bin/env python3
"""Producer, workers and a collector joined by manager queues: a
JoinableQueue of jobs with task_done()/join(), a result Queue, an Event to
stop, a Value (under a Lock) for progress and a Namespace for the run's
settings; the workers are spawned, not forked.  To run it on syncmgr,
change only the Manager import (see README.md)."""
import multiprocessing
from multiprocessing import Manager


def worker(jobs, results, progress, lock, settings, stop):
    while not stop.is_set():
        job = jobs.get()
        if job is None:
            jobs.task_done()
            break
        results.put((job, job ** settings.power))
        with lock:             # a manager Value has no get_lock()
            progress.value += 1
        jobs.task_done()


def main():
    ctx = multiprocessing.get_context('spawn')
    with Manager() as m:
        jobs, results = m.JoinableQueue(), m.Queue()
        progress, lock, stop = m.Value('i', 0), m.Lock(), m.Event()
        settings = m.Namespace(power=3)
        procs = [ctx.Process(target=worker,
                             args=(jobs, results, progress, lock, settings, stop))
                 for _ in range(3)]
        for p in procs:
            p.start()
        for job in range(1, 31):
            jobs.put(job)
        for _ in procs:
            jobs.put(None)
        jobs.join()
        stop.set()
        for p in procs:
            p.join(60)
        out = sorted(results.get(timeout=10) for _ in range(30))
        print('done:', progress.value, 'queued:', results.qsize())
        print('sum of cubes:', sum(v for _, v in out), 'first:', out[:3])


if __name__ == '__main__':
    main()
