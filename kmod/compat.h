/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The differences between the kernels syncmgr builds against (Debian's
 * 6.1 and 6.12), kept here rather than as #ifs in the code.  Each entry
 * gives the older kernels the newer API, so the code is written for the
 * newest one.  Tested by `make check` (6.1) and `make check-6.12`.
 *
 * Checked and found identical in 6.1 and 6.12 (nothing needed here):
 * noop_llseek (6.12 removed only no_llseek), and the prototypes of the
 * sched_process_exit and sched_process_exec tracepoints that owner.c's
 * probes follow; owner.c checks those against <trace/events/sched.h> at
 * build time (6.16 gave sched_process_exit a bool group_dead), and
 * dkms.conf builds for 6.1 to 6.12 only.
 */
#ifndef _SYNCMGR_COMPAT_H
#define _SYNCMGR_COMPAT_H

#include <linux/file.h>

/*
 * 6.12 packed struct fd into one word; fd_file() reads its file.  Before,
 * the file was a member.
 */
#ifndef fd_file
#define fd_file(f)	((f).file)
#endif

#endif /* _SYNCMGR_COMPAT_H */
