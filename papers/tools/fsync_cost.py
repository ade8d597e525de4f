#!/usr/bin/env python3
"""What one durable write costs on a disk: wall time and CPU time.

usage: fsync_cost.py DIR [COUNT]

Writes COUNT records of 1,500 bytes (about 23 SET records, one group
commit's worth) one after another into a file in DIR that was filled with
zeros and synced first, as convoy's log sets space aside ahead of its end,
and calls fdatasync(2) after each. Prints one CSV line:

    fsyncs,wall_us,user_us,sys_us

the means per write+fdatasync, from the wall clock and from getrusage(2). The CPU part is what a server pays on its own cores for every
fsync, whichever thread calls it; on a virtual machine the flush is an exit
to the hypervisor and costs tens of microseconds. The file is removed.
"""
import os
import resource
import sys
import tempfile
import time


def main():
    directory = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    record = b"x" * 1500
    fd, path = tempfile.mkstemp(prefix="fsync-cost-", dir=directory)
    try:
        os.write(fd, b"\0" * (len(record) * count))
        os.fsync(fd)
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        for i in range(count):
            os.pwrite(fd, record, i * len(record))
            os.fdatasync(fd)
        r1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    finally:
        os.close(fd)
        os.unlink(path)
    per = lambda a, b: (b - a) / count * 1e6
    print("fsyncs,wall_us,user_us,sys_us")
    print(f"{count},{per(t0, t1):.1f},{per(r0.ru_utime, r1.ru_utime):.1f},{per(r0.ru_stime, r1.ru_stime):.1f}")


if __name__ == "__main__":
    main()
