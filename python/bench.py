#!/usr/bin/env python3
"""The same operations through syncmgr.Manager() and multiprocessing.Manager()
in one run: median µs per operation, and the speed-up.  Usage (in the guest):
tests/guest/run -- python3 python/bench.py [--csv | --bench]
--bench (make bench, bench/run-guest): "@bench,py.OP,py-syncmgr|py-manager,
ns,0,iters,nan,spread" lines for bench/report (median of TRIALS runs)."""
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import syncmgr  # noqa: E402


def ops(m):
    lk, rl, sem, ev = m.Lock(), m.RLock(), m.Semaphore(), m.Event()
    cond, q, v = m.Condition(), m.Queue(), m.Value('i', 0)
    a, d, li, ns = m.Array('i', [0] * 8), m.dict(), m.list(), m.Namespace()
    ev.set()
    d['k'] = 1
    li.append(1)
    ns.x = 1

    def lock():
        lk.acquire()
        lk.release()

    def rlock():
        rl.acquire()
        rl.release()

    def semaphore():
        sem.acquire()
        sem.release()

    def condition():
        cond.acquire()
        cond.notify()
        cond.release()

    def queue():
        q.put(1)
        q.get()

    def value():
        v.value = v.value + 1
    return [('Lock acquire+release', lock), ('RLock acquire+release', rlock),
            ('Semaphore acquire+release', semaphore),
            ('Event.is_set', ev.is_set), ('Event.wait (set)', ev.wait),
            ('Condition acquire+notify+release', condition),
            ('Queue put+get', queue), ('Value get+set', value),
            ('Array[i]', lambda: a[3]), ('Array[i] = x', lambda: a.__setitem__(3, 5)),
            ('dict[k]', lambda: d['k']), ('dict[k] = v', lambda: d.__setitem__('k', 2)),
            ('list.append+pop', lambda: (li.append(2), li.pop())),
            ('len(list)', lambda: len(li)), ('Namespace.x', lambda: ns.x)]


def timeit(fn, budget=0.2):
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        dt = time.perf_counter() - t0
        if dt > budget and n >= 20:
            return dt / n * 1e6


def trials(fn, k=5, budget=0.05):
    """Median µs of k timeit runs, their spread, calls in the last run."""
    for _ in range(10):
        fn()
    ts = sorted(timeit(fn, budget) for _ in range(k))
    med = ts[k // 2]
    return med, (ts[-1] - ts[0]) / med, int(budget / med * 1e6) + 1


def bench_lines(sm, mgr):
    """make bench: every operation through both, as @bench lines."""
    for (name, fs), (_, fm) in zip(ops(sm), ops(mgr)):
        for impl, fn in (('py-syncmgr', fs), ('py-manager', fm)):
            med, spread, n = trials(fn)
            print('@bench,py.%s,%s,%.1f,0,%d,nan,%.3f'
                  % (name, impl, med * 1e3, n, spread), flush=True)


def main():
    mgr = multiprocessing.Manager()
    sm = syncmgr.Manager()
    if '--bench' in sys.argv:
        bench_lines(sm, mgr)
        mgr.shutdown()
        return
    csv = '--csv' in sys.argv
    print('operation,syncmgr_us,manager_us,speedup' if csv else
          '%-34s %12s %12s %8s' % ('operation', 'syncmgr µs', 'Manager µs',
                                   'speed-up'))
    for (name, fs), (_, fm) in zip(ops(sm), ops(mgr)):
        ts, tm = timeit(fs), timeit(fm)
        print('%s,%.3f,%.3f,%.1f' % (name, ts, tm, tm / ts) if csv else
              '%-34s %12.2f %12.2f %7.0fx' % (name, ts, tm, tm / ts))
    mgr.shutdown()


if __name__ == '__main__':
    main()
