#!/usr/bin/env python3
"""A multiprocessing program as people write it: worker processes count
words into a shared dict under a shared Lock and report through a Queue.
To run it on syncmgr, change only the Manager import (see README.md)."""
from multiprocessing import Process
from multiprocessing import Manager

TEXT = """the quick brown fox jumps over the lazy dog the dog sleeps
a fox is quick and a dog is lazy but the fox and the dog are friends""".split()


def count(words, lock, totals, done):
    local = {}
    for w in words:
        local[w] = local.get(w, 0) + 1
    with lock:
        for w, n in local.items():
            totals[w] = totals.get(w, 0) + n
    done.put(len(words))


def main():
    with Manager() as manager:
        lock, totals, done = manager.Lock(), manager.dict(), manager.Queue()
        chunks = [TEXT[i::4] for i in range(4)]
        workers = [Process(target=count, args=(c, lock, totals, done))
                   for c in chunks]
        for p in workers:
            p.start()
        seen = sum(done.get(timeout=60) for _ in workers)
        for p in workers:
            p.join()
        print('words seen:', seen, 'of', len(TEXT))
        for w, n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:5]:
            print(w, n)
        print('distinct:', len(totals), 'exit codes:', [p.exitcode for p in workers])


if __name__ == '__main__':
    main()
