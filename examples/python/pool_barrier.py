#!/usr/bin/env python3
"""Manager objects passed to a Pool's tasks (pickled through the pool's
queues), and processes meeting at a Barrier, waking on a Condition and
appending to a shared list.  To run it on syncmgr, change only the Manager
import (see README.md)."""
from multiprocessing import Pool, Process
from multiprocessing import Manager


def square_into(args):
    shared, i = args
    shared[i] = i * i
    return i


def meet(barrier, cond, log, who):
    slot = barrier.wait(timeout=60)
    with cond:
        log.append(who)
        cond.notify_all()
    return slot


def main():
    with Manager() as m:
        squares = m.dict()
        with Pool(2) as pool:
            got = pool.map(square_into, [(squares, i) for i in range(8)])
        print('pool returned', got)
        print('squares', sorted(squares.items()))

        barrier, cond, log = m.Barrier(3), m.Condition(), m.list()
        procs = [Process(target=meet, args=(barrier, cond, log, w))
                 for w in ('a', 'b', 'c')]
        for p in procs:
            p.start()
        with cond:
            ok = cond.wait_for(lambda: len(log) == 3, timeout=60)
        for p in procs:
            p.join(60)
        print('all met:', ok, sorted(log), 'broken:', barrier.broken)


if __name__ == '__main__':
    main()
