#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The SyncManager side of `make bench`: the operations of bench/bench.c,
same names, on multiprocessing.Manager() proxies (stdlib only).

Prints "@bench,op,impl,ns_per_op,syscalls_per_op,iters,extra,spread"
lines like bench/bench.c; impl is --impl (manager in the guest,
manager-host on the host).  Arguments after the options: only the
benchmarks whose "op,impl" contains one of them.

Environment: BENCH_MS_MANAGER (default 100: a manager call costs ~100 syscalls),
BENCH_TRIALS_MANAGER (default 5).
"""
import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import time

MS = float(os.environ.get("BENCH_MS_MANAGER", "100"))
TRIALS = int(os.environ.get("BENCH_TRIALS_MANAGER", "5"))
now = time.perf_counter_ns


def emit(impl, op, vals, iters, extra=float("nan")):
    vals = sorted(vals)
    med = vals[len(vals) // 2]
    spread = (vals[-1] - vals[0]) / med if med else float("nan")
    print(f"@bench,{op},{impl},{med:.1f},0,{iters},{extra:.4g},{spread:.3f}",
          flush=True)


def timed(fn, n):
    t = now()
    fn(n)
    return (now() - t) / n


def calibrated(fn, trials=None):
    """Median ns per op of run(n), n grown until one run takes MS ms."""
    n = 1
    while True:
        t = now()
        fn(n)
        t = now() - t
        if t >= MS * 1e6 or n >= 1 << 20:
            break
        n *= 2 if t > MS * 1e6 / 16 else 8
    return [timed(fn, n) for _ in range(trials or TRIALS)], n


# ---- uncontended ----------------------------------------------------------
def uncontended(m):
    lock, rlock, sem = m.Lock(), m.RLock(), m.Semaphore(1)
    ev, val, d, lst, q = m.Event(), m.Value("q", 1), m.dict(), m.list(), m.Queue()
    d.update({k: k for k in range(16)})

    def acq_rel(o):
        def run(n):
            for _ in range(n):
                o.acquire()
                o.release()
        return run

    def ev_set(n):
        for _ in range(n):
            ev.set()

    def ev_is_set(n):
        for _ in range(n):
            ev.is_set()

    def v_get(n):
        for _ in range(n):
            val.value

    def v_set(n):
        for i in range(n):
            val.value = i

    def v_add(n):
        for _ in range(n):
            val.value += 1      # two calls, and not atomic

    def d_set(n):
        for i in range(n):
            d[i & 15] = i

    def d_get(n):
        for i in range(n):
            d[i & 15]

    def l_ap(n):
        for _ in range(n):
            lst.append(7)
            lst.pop()

    def q_pg(size):
        item = b"x" * size

        def run(n):
            for _ in range(n):
                q.put(item)
                q.get()
        return run

    return [
        ("lock.acq_rel", acq_rel(lock)), ("rlock.acq_rel", acq_rel(rlock)),
        ("sem.acq_rel", acq_rel(sem)), ("event.set", ev_set),
        ("event.is_set", ev_is_set), ("value.get", v_get),
        ("value.set", v_set), ("value.add", v_add), ("dict.set", d_set),
        ("dict.get", d_get), ("list.append_pop", l_ap),
        ("queue.put_get.8", q_pg(8)), ("queue.put_get.64", q_pg(64)),
        ("queue.put_get.4096", q_pg(4096)),
    ]


# ---- cross-process --------------------------------------------------------
def pong_event(a, b):
    while True:
        a.wait()
        a.clear()
        b.set()


def pong_cond(c, turn):
    with c:
        while True:
            while turn.value != 1:
                c.wait()
            turn.value = 0
            c.notify()


def barrier_loop(bar):
    try:
        while True:
            bar.wait()
    except Exception:
        pass


def producer(q, n):
    item = b"x" * 64
    for _ in range(n):
        q.put(item)


def contender(lock, n, counter):
    for _ in range(n):
        lock.acquire()
        lock.release()
    counter.put(1)


def xproc(m, impl, want):
    a, b = m.Event(), m.Event()
    if want("xproc.event_pingpong"):
        p = mp.Process(target=pong_event, args=(a, b), daemon=True)
        p.start()

        def run(n):
            for _ in range(n):
                a.set()
                b.wait()
                b.clear()
        emit(impl, "xproc.event_pingpong", *calibrated(run))
        p.terminate()
        p.join()

    if want("xproc.cond_pingpong"):
        c, turn = m.Condition(), m.Value("i", 0)
        p = mp.Process(target=pong_cond, args=(c, turn), daemon=True)
        p.start()

        def run(n):
            with c:
                for _ in range(n):
                    turn.value = 1
                    c.notify()
                    while turn.value != 0:
                        c.wait()
        emit(impl, "xproc.cond_pingpong", *calibrated(run))
        p.terminate()
        p.join()

    for parties in (4, 16):
        if not want(f"xproc.barrier.{parties}"):
            continue
        bar = m.Barrier(parties)
        ps = [mp.Process(target=barrier_loop, args=(bar,), daemon=True)
              for _ in range(parties - 1)]
        for p in ps:
            p.start()

        def run(n):
            for _ in range(n):
                bar.wait()
        emit(impl, f"xproc.barrier.{parties}", *calibrated(run, 3))
        bar.abort()
        for p in ps:
            p.join()

    for nproc in (4, 16):
        if not want(f"xproc.lock_contended.{nproc}"):
            continue
        lock, done, per, vals = m.Lock(), m.Queue(), 50, []
        for _ in range(3):
            ps = [mp.Process(target=contender, args=(lock, per, done))
                  for _ in range(nproc)]
            t = now()
            for p in ps:
                p.start()
            for _ in ps:
                done.get()
            vals.append((now() - t) / (nproc * per))
            for p in ps:
                p.join()
        emit(impl, f"xproc.lock_contended.{nproc}", vals, 1)

    if want("xproc.queue_1p1c.64"):
        q, n, vals = m.Queue(64), 400, []
        for _ in range(3):
            p = mp.Process(target=producer, args=(q, n))
            p.start()
            q.get()
            t = now()
            for _ in range(n - 1):
                q.get()
            vals.append((now() - t) / (n - 1))
            p.join()
        emit(impl, "xproc.queue_1p1c.64", vals, 1)


# ---- scale ----------------------------------------------------------------
def scale(m, impl, want):
    for keys in (1000, 100000, 1000000):
        if not any(want(f"scale.dict_{w}@{keys}") for w in ("get", "set")):
            continue
        d = m.dict()
        for lo in range(0, keys, 100000):
            d.update({k: k for k in range(lo, min(keys, lo + 100000))})
        rnd = random.Random(12345)

        def get(n):
            for _ in range(n):
                d[rnd.randrange(keys)]

        def put(n):
            for i in range(n):
                d[rnd.randrange(keys)] = i
        emit(impl, f"scale.dict_get@{keys}", *calibrated(get))
        emit(impl, f"scale.dict_set@{keys}", *calibrated(put))
        d.clear()
        del d

    if want("create.100000"):
        # A manager object per call is slow: 1000 objects stand for 100 k.
        n, vals = 1000, []
        for _ in range(3):
            t = now()
            objs = [m.Lock() for _ in range(n)]
            vals.append((now() - t) / n)
            del objs
        emit(impl, "create.100000", vals, n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--impl", default="manager")
    ap.add_argument("only", nargs="*")
    args = ap.parse_args()

    def want(op):
        key = f"{op},{args.impl}"
        return not args.only or any(s in key for s in args.only)

    with mp.Manager() as m:
        for op, run in uncontended(m):
            if want(op):
                emit(args.impl, op, *calibrated(run))
        xproc(m, args.impl, want)
        scale(m, args.impl, want)
    return 0


if __name__ == "__main__":
    sys.exit(main())
