# syncmgr top-level Makefile: only calls into the parts (kmod/ via Kbuild,
# libsync/, tests/, examples/, the guest runner in tests/guest/).
# `make help` lists the targets.

VERSION    := $(shell cat VERSION)
# The guest kernel (module headers, QEMU guest): by default the one that the
# installed linux-image-amd64 depends on.  Override: make check KVER=...
ifeq ($(origin KVER),undefined)
KVER       := $(shell tools/setup --kver 2>/dev/null)
endif
CACHE      := $(shell tools/setup --cache)
KSFT_DIR   ?= $(CACHE)/kselftest-6.1
CHECKPATCH ?= $(CACHE)/checkpatch-6.1/checkpatch.pl

PREFIX     ?= /usr/local
prefix     ?= $(PREFIX)
LIBDIR     ?= $(prefix)/lib
INCLUDEDIR ?= $(prefix)/include
MANDIR     ?= $(prefix)/share/man
UDEVDIR    ?= /lib/udev/rules.d
MODLOADDIR ?= /usr/lib/modules-load.d
# The Python package (pip install ./python does the same for one interpreter).
PYTHONDIR  ?= $(prefix)/lib/python3/dist-packages

CC         ?= cc
AR         ?= ar
CFLAGS     ?= -O2 -g
LIB_CFLAGS  := $(CFLAGS) -Wall -Wextra -Werror -Wmissing-prototypes -fPIC \
	       -fvisibility=default -Iuapi -Ilibsync/include -MMD -MP
TEST_CFLAGS := -I$(KSFT_DIR) -Iuapi -Ilibsync/include -Wall -Wextra -Werror \
	       -Wno-unused-parameter -std=gnu17 -O2 -g -pthread
EX_CFLAGS   := $(CFLAGS) -Iuapi -Ilibsync/include -Wall -Wextra -Werror -pthread

# Per test program (seconds) and whole guest run; make check stays well
# under 20 minutes.
TEST_TIMEOUT  ?= 300
# DKMS_SMOKE=0 skips the in-guest `dkms install` (about 50 s of depmod over
# 9p) when iterating; CI keeps it.
DKMS_SMOKE    ?= 1
GUEST_TIMEOUT ?= 900
CHECK_DMESG   ?= build/check-dmesg.log
# The debug kernel (make check-debug): syscalls ~20x slower, so longer limits.
DEBUG_TEST_TIMEOUT  ?= 1200
DEBUG_GUEST_TIMEOUT ?= 3600

LIB_SRCS  := $(wildcard libsync/*.c)
LIB_OBJS  := $(patsubst libsync/%.c,build/libsync/%.o,$(LIB_SRCS))
LIB_HDRS  := $(wildcard libsync/*.h libsync/include/*.h uapi/linux/*.h)
LIB_SO    := libsync/libsync.so.1
LIB_A     := libsync/libsync.a
TESTS     := $(patsubst tests/%.c,tests/bin/%,$(wildcard tests/*.c))
MEMPROBE  := tests/bin/guest/memprobe
# The fuzzer (tests/fuzz/README): a short run in every suite, make fuzz long.
FUZZ      := tests/bin/fuzz
# The Python package's unittest suite (python/tests), counted like a test program.
PYSUITE   := tests/python-suite
EXAMPLES  := $(patsubst examples/%.c,examples/bin/%,$(wildcard examples/*.c))
KMOD_DIR   = build/kmod-$(KVER)
DKMS_TOP  := $(CURDIR)/build/dkms
DKMS_SRC  := $(DKMS_TOP)/src/syncmgr-$(VERSION)
# dkms compresses the module like the kernel's own (6.12: syncmgr.ko.xz).
DKMS_KO_DIR = $(DKMS_TOP)/tree/syncmgr/$(VERSION)/$(KVER)/x86_64/module
DKMS_KO    = $(firstword $(wildcard $(DKMS_KO_DIR)/syncmgr.ko $(DKMS_KO_DIR)/syncmgr.ko.*))
# dkms signs what it builds: keep its key in the cache, not /var/lib/dkms.
DKMS_ENV  := mok_signing_key=$(CACHE)/dkms-mok.key mok_certificate=$(CACHE)/dkms-mok.pub
DKMS_FILES = Kbuild VERSION dkms.conf $(wildcard kmod/*.c kmod/*.h) $(wildcard uapi/linux/*.h)
MANPAGES  := $(wildcard man/man*/*.[1-9])
GUEST      = tests/guest/run -k $(KVER)

.PHONY: all module lib tests examples check check-6.12 check-debug check-all \
	demo bench shell install uninstall \
	dkms-source dkms-build dkms-install checkpatch setup clean help need-kver
.PHONY: fuzz

all: module lib tests examples

help:
	@echo 'syncmgr $(VERSION) -- targets:'
	@echo '  all (default)  module for KVER, libsync, tests, examples'
	@echo '  module         build/kmod-KVER/syncmgr.ko against /lib/modules/KVER/build'
	@echo '  lib            libsync/libsync.so.1 (+ libsync.so link), libsync/libsync.a, libsync.pc'
	@echo '  tests          tests/bin/* (kselftest harness programs)'
	@echo '  examples       examples/bin/*'
	@echo '  setup          tools/setup: install packages, kselftest headers, guest files'
	@echo '  check          setup, build, run every test in the guest (KVER) with the dkms-built module'
	@echo '  check-6.12     the same on Debian'"'"'s 6.12 kernel (make check KVER=<its release>)'
	@echo '  check-debug    the suite on the 6.1 debug kernel (KASAN, lockdep, kmemleak, UBSAN;'
	@echo '                 built once by tools/build-debug-kernel, ~19 min, cached)'
	@echo '  check-all      check, check-6.12 and check-debug'
	@echo '  storm          the kill storm (tests/storm/) long on the debug kernel, kernel log and kmemleak'
	@echo '                 checked: STORM_ROUNDS=$(STORM_ROUNDS) STORM_SEED= STORM_WORKERS= STORM_ROUND_MS= STORM_KILLS='
	@echo '                 (its short run is part of check); needs tools/build-debug-kernel done'
	@echo '  storm-kver     the same on the KVER guest (Debian 6.1, or KVER=<6.12 release>): no debug kernel'
	@echo '  demo           setup, build, run examples/bin/demo in the guest'
	@echo '  bench          benchmarks in the guest against SyncManager and the kernel'"'"'s'
	@echo '                 primitives: build/bench/results.{md,csv}, PNGs (BENCHMARKS.md)'
	@echo '  fuzz           tests/bin/fuzz, FUZZ_CALLS (default 10 M) random calls on the debug kernel, dmesg'
	@echo '                 checked (FUZZ_KERNEL=guest: on the KVER guest; FUZZ_SECONDS, FUZZ_SEED, FUZZ_PROCS)'
	@echo '  shell          interactive shell in the guest, module loaded, cwd = this directory'
	@echo '  install        libsync, headers, pkg-config, udev rule, modules-load.d, man pages'
	@echo '                 (DESTDIR, PREFIX=/usr/local, LIBDIR, INCLUDEDIR, MANDIR; no dkms/depmod/udevadm)'
	@echo '  uninstall      remove what install installed'
	@echo '  dkms-install   copy the module source to /usr/src/syncmgr-$(VERSION), dkms add/build/install'
	@echo '  checkpatch     checkpatch.pl --strict on kmod/ and uapi/'
	@echo '  check-man      every public libsync function has a man page (part of check)'
	@echo '  clean          remove build output'
	@echo 'Variables: KVER=$(KVER) TEST_TIMEOUT=$(TEST_TIMEOUT) GUEST_TIMEOUT=$(GUEST_TIMEOUT) DKMS_SMOKE=$(DKMS_SMOKE)'

setup:
	tools/setup

need-kver:
	@test -n "$(KVER)" || { echo "cannot determine the guest kernel: run tools/setup (or pass KVER=)" >&2; exit 1; }

# --- the module ----------------------------------------------------------------
module: need-kver
	tools/build-module $(KVER)

# --- libsync -------------------------------------------------------------------
lib: $(LIB_SO) libsync/libsync.so $(LIB_A) libsync/libsync.pc

build/libsync/%.o: libsync/%.c
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(LIB_SO): $(LIB_OBJS) libsync/libsync.map
	$(CC) $(CFLAGS) -shared -Wl,-soname,libsync.so.1 -Wl,--version-script=libsync/libsync.map \
		-Wl,--no-undefined -o $@ $(LIB_OBJS)

libsync/libsync.so: $(LIB_SO)
	ln -sf libsync.so.1 $@

$(LIB_A): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJS)

PC_SED = sed -e 's|@PREFIX@|$(prefix)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	     -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g'

libsync/libsync.pc: libsync/libsync.pc.in VERSION
	$(PC_SED) $< >$@

-include $(LIB_OBJS:.o=.d)

# --- tests and examples (static against libsync.a) -------------------------------
tests: $(TESTS) $(MEMPROBE)
tests: $(FUZZ)

# Run around every test program by run-suite: module memory must return.
$(MEMPROBE): tests/guest/memprobe.c $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(EX_CFLAGS) -o $@ $< $(LIB_A)

tests/bin/%: tests/%.c $(LIB_A) $(wildcard tests/*.h) $(LIB_HDRS)
	@test -f $(KSFT_DIR)/kselftest_harness.h || { echo "$(KSFT_DIR)/kselftest_harness.h missing: run tools/setup" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LIB_A)

# The kill storm (tests/storm/README.md): its short run is one more
# program of check-run and check-debug-run (TESTS); make storm runs it long.
STORM := tests/bin/storm
TESTS += $(STORM)
tests: $(STORM)
$(STORM): tests/storm/storm.c $(LIB_A) tests/common.h $(LIB_HDRS)
	@test -f $(KSFT_DIR)/kselftest.h || { echo "$(KSFT_DIR)/kselftest.h missing: run tools/setup" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LIB_A)

$(FUZZ): tests/fuzz/fuzz.c $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LIB_A)

# What python/tests/test_abi.py (in PYSUITE) compares the Python package's
# copy of the C headers with.
PYABI := tests/bin/python/abi_probe
tests: $(PYABI)
$(PYABI): python/tests/abi_probe.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(EX_CFLAGS) -o $@ $<

examples: $(EXAMPLES)

examples/bin/%: examples/%.c $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(EX_CFLAGS) -o $@ $< $(LIB_A)

# --- dkms ----------------------------------------------------------------------
# dkms.conf carries the version as a literal (packaging tools read it as
# text): it must be VERSION's, or nothing dkms-related runs.
.PHONY: dkms-conf-check
dkms-conf-check:
	@grep -qxF 'PACKAGE_VERSION="$(VERSION)"' dkms.conf || { \
		echo "dkms.conf has $$(grep -m1 '^PACKAGE_VERSION=' dkms.conf || echo 'no PACKAGE_VERSION'), but VERSION" \
			"says $(VERSION): set PACKAGE_VERSION=\"$(VERSION)\" in dkms.conf (or fix VERSION)" >&2; exit 1; }

# The module source as dkms wants it (Kbuild at the top).
dkms-source: dkms-conf-check
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	cp --parents $(DKMS_FILES) $(DKMS_SRC)/

# dkms add + build on the host for KVER, in private trees under build/dkms
# (nothing in /var/lib/dkms or /usr/src): about 3 s here.  make check loads
# this dkms-built module in the guest.
dkms-build: need-kver dkms-source
	rm -rf $(DKMS_TOP)/tree
	mkdir -p $(DKMS_TOP)/tree
	$(DKMS_ENV) dkms add -q --dkmstree $(DKMS_TOP)/tree --sourcetree $(DKMS_TOP)/src syncmgr/$(VERSION)
	$(DKMS_ENV) dkms build -q -k $(KVER) --dkmstree $(DKMS_TOP)/tree --sourcetree $(DKMS_TOP)/src syncmgr/$(VERSION)
	@ls $(DKMS_KO_DIR)/syncmgr.ko* >/dev/null 2>&1 || { echo "dkms build produced no $(DKMS_KO_DIR)/syncmgr.ko*" >&2; exit 1; }

# On a real system: needs root; the module then loads at boot (modules-load.d).
# For the running kernel, or for KVER when given on the command line.
DKMS_K = $(if $(filter command line environment,$(origin KVER)),-k $(KVER))
dkms-install: dkms-conf-check
	-dkms remove syncmgr/$(VERSION) --all 2>/dev/null
	rm -rf /usr/src/syncmgr-$(VERSION)
	mkdir -p /usr/src/syncmgr-$(VERSION)
	cp --parents $(DKMS_FILES) /usr/src/syncmgr-$(VERSION)/
	dkms add syncmgr/$(VERSION)
	dkms build $(DKMS_K) syncmgr/$(VERSION)
	dkms install $(DKMS_K) syncmgr/$(VERSION)

# --- running in the guest --------------------------------------------------------
# check: one guest boot for the whole suite.  The guest loads the module
# built by dkms on the host; the first "test" (tests/guest/dkms-smoke) runs
# the one real `dkms install` + `modprobe` in the guest (about 30 s, mostly
# depmod over 9p), then every tests/bin/* program runs with a timeout.
# tests/guest/run-suite prints the closing "N passed, N failed" line.
check:
	tools/setup
	$(MAKE) --no-print-directory check-run

.PHONY: check-run check-man
check-run: need-kver check-man dkms-build lib tests examples
	$(GUEST) -t $(GUEST_TIMEOUT) -m $(DKMS_KO) --dmesg $(CHECK_DMESG) -e SYNCMGR_DKMS_TREE=$(DKMS_TOP)/tree \
		-e TEST_TIMEOUT=$(TEST_TIMEOUT) -e MEMPROBE=$(MEMPROBE) -- tests/guest/run-suite $(if $(filter 1,$(DKMS_SMOKE)),tests/guest/dkms-smoke) $(TESTS) $(PYSUITE) $(FUZZ)

# Every public libsync function has a man page, every family page is in
# syncmgr(7): before any guest boots.
check-man:
	tools/check-man

# The same suite on Debian's 6.12 kernel (tools/setup installs it).
check-6.12:
	tools/setup
	$(MAKE) --no-print-directory check-run KVER=$$(tools/setup --kver 6.12) \
		CHECK_DMESG=build/check-6.12-dmesg.log

# The suite on the debug kernel: built once per machine in the cache
# (tools/build-debug-kernel), booted from its tree; the module is built
# against that tree (no dkms: the tree is not under /lib/modules, so no
# dkms-smoke).  Any KASAN/UBSAN/lockdep/atomic-sleep report in the guest's
# log or a kmemleak leak after rmmod fails the run (tests/guest/run).
check-debug:
	tools/setup
	tools/build-debug-kernel
	$(MAKE) --no-print-directory check-debug-run

.PHONY: check-debug-run
check-debug-run: DEBUG_TREE := $(shell tools/build-debug-kernel --tree)
check-debug-run: lib tests examples
	@test -r $(DEBUG_TREE)/arch/x86/boot/bzImage || { echo "no debug kernel in $(DEBUG_TREE): run tools/build-debug-kernel" >&2; exit 1; }
	KDIR=$(DEBUG_TREE) tools/build-module $$(cat $(DEBUG_TREE)/include/config/kernel.release)
	tests/guest/run --kernel-tree $(DEBUG_TREE) -t $(DEBUG_GUEST_TIMEOUT) -v \
		-m build/kmod-$$(cat $(DEBUG_TREE)/include/config/kernel.release)/syncmgr.ko \
		--dmesg build/check-debug-dmesg.log -e TEST_TIMEOUT=$(DEBUG_TEST_TIMEOUT) -e MEMPROBE=$(MEMPROBE) \
		-- tests/guest/run-suite $(TESTS) $(FUZZ)

# fuzz: the fuzzer long, FUZZ_CALLS random calls (>= 10 M for a release) on
# the debug kernel (built by tools/build-debug-kernel, not here), through
# run-suite (module memory must return) and tests/guest/run's kernel log
# check.  FUZZ_KERNEL=guest runs it on the KVER guest instead (6.1 unless
# KVER says otherwise).  FUZZ_TIMEOUT bounds the run (seconds).
FUZZ_KERNEL  ?= debug
FUZZ_CALLS   ?= 10000000
FUZZ_SECONDS ?= 0
FUZZ_TIMEOUT ?= 86400
FUZZ_ENV      = -e FUZZ_CALLS=$(FUZZ_CALLS) -e FUZZ_SECONDS=$(FUZZ_SECONDS) \
		$(if $(FUZZ_SEED),-e FUZZ_SEED=$(FUZZ_SEED)) $(if $(FUZZ_PROCS),-e FUZZ_PROCS=$(FUZZ_PROCS)) \
		$(if $(FUZZ_SKIP),-e FUZZ_SKIP=$(FUZZ_SKIP)) \
		-e TEST_TIMEOUT=$(FUZZ_TIMEOUT) -e MEMPROBE=$(MEMPROBE)
ifeq ($(FUZZ_KERNEL),debug)
fuzz: DEBUG_TREE := $(shell tools/build-debug-kernel --tree)
fuzz: lib $(FUZZ) $(MEMPROBE)
	@test -r $(DEBUG_TREE)/arch/x86/boot/bzImage || { echo "make fuzz: no debug kernel in $(DEBUG_TREE): run tools/build-debug-kernel first (or make fuzz FUZZ_KERNEL=guest)" >&2; exit 1; }
	KDIR=$(DEBUG_TREE) tools/build-module $$(cat $(DEBUG_TREE)/include/config/kernel.release)
	tests/guest/run --kernel-tree $(DEBUG_TREE) -t $$(($(FUZZ_TIMEOUT) + 600)) -v \
		-m build/kmod-$$(cat $(DEBUG_TREE)/include/config/kernel.release)/syncmgr.ko \
		--dmesg build/fuzz-dmesg.log $(FUZZ_ENV) -- tests/guest/run-suite $(FUZZ)
else
fuzz: module lib $(FUZZ) $(MEMPROBE)
	$(GUEST) -t $$(($(FUZZ_TIMEOUT) + 600)) --dmesg build/fuzz-dmesg.log $(FUZZ_ENV) \
		-- tests/guest/run-suite $(FUZZ)
endif

# All three; each one's "N passed, N failed" line, then the sums.
check-all:
	@log=build/check-all.log; mkdir -p build; : >$$log; \
	for t in check check-6.12 check-debug; do \
		{ $(MAKE) --no-print-directory $$t 2>&1 || echo "check-all: make $$t failed"; } | tee -a $$log; \
	done; \
	grep '^check-all: make' $$log; \
	grep -E '^[0-9]+ passed, [0-9]+ failed$$' $$log | \
		awk '{ p += $$1; f += $$3 } END { print p + 0 " passed, " f + 0 " failed" }'; \
	! grep -q '^check-all: make' $$log

# make storm: the kill storm long (STORM_ROUNDS) on the debug kernel, whose
# runner checks the kernel log and kmemleak; storm-kver: on the KVER guest.
STORM_ROUNDS  ?= 1000
STORM_TIMEOUT ?= 5400
STORM_ENV      = -e STORM_ROUNDS=$(STORM_ROUNDS) -e TEST_TIMEOUT=$(STORM_TIMEOUT) -e MEMPROBE=$(MEMPROBE) \
		 $(foreach v,STORM_SEED STORM_WORKERS STORM_ROUND_MS STORM_KILLS,$(if $($(v)),-e $(v)=$($(v))))
.PHONY: storm storm-kver
storm: DEBUG_TREE := $(shell tools/build-debug-kernel --tree)
storm: lib $(STORM) $(MEMPROBE)
	@test -r $(DEBUG_TREE)/arch/x86/boot/bzImage || { echo "make storm: no debug kernel in $(DEBUG_TREE):" \
		"build it with tools/build-debug-kernel (~19 min), or run make storm-kver on Debian's kernel" >&2; exit 1; }
	KDIR=$(DEBUG_TREE) tools/build-module $$(cat $(DEBUG_TREE)/include/config/kernel.release)
	tests/guest/run --kernel-tree $(DEBUG_TREE) -t $$(($(STORM_TIMEOUT) + 600)) -v \
		-m build/kmod-$$(cat $(DEBUG_TREE)/include/config/kernel.release)/syncmgr.ko \
		--dmesg build/storm-dmesg.log $(STORM_ENV) -- tests/guest/run-suite $(STORM)

storm-kver: module lib $(STORM) $(MEMPROBE)
	$(GUEST) -t $$(($(STORM_TIMEOUT) + 300)) --dmesg build/storm-$(KVER)-dmesg.log $(STORM_ENV) \
		-- tests/guest/run-suite $(STORM)

demo:
	tools/setup
	$(MAKE) --no-print-directory module lib examples
	$(GUEST) -t $(GUEST_TIMEOUT) -- examples/bin/demo

# bench: not a test (no timing asserts anywhere); see BENCHMARKS.md.  The
# guest's files are thrown away, so results travel as "@bench," lines on its
# stdout (build/bench/guest.log); the SyncManager side runs again on the host.
# BENCH_* variables in the environment reach the guest (BENCHMARKS.md).
BENCH_TIMEOUT ?= 1200
BENCH_CFLAGS  := -O2 -Wall -Wextra -Werror -Wno-unused-parameter -std=gnu17 \
		 -Iuapi -Ilibsync/include -pthread

build/bench/bench: bench/bench.c $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(LIB_A) -lrt -lm

bench:
	tools/setup
	tools/setup --bench
	$(MAKE) --no-print-directory module lib build/bench/bench
	rm -f build/bench/*.log
	bash -o pipefail -c '$(GUEST) -t $(BENCH_TIMEOUT) $$(env | sed -n "s/^\(BENCH_[A-Z_]*=[^ ]*\)$$/-e \1/p") -- bench/run-guest | tee build/bench/guest.log'
	bash -o pipefail -c '/usr/bin/python3 bench/manager.py --impl manager-host | tee build/bench/manager-host.log'
	bench/report build/bench

shell:
	tools/setup
	$(MAKE) --no-print-directory module lib tests examples
	$(GUEST) --shell

checkpatch:
	@test -f $(CHECKPATCH) || tools/setup
	$(CHECKPATCH) --strict --no-tree --quiet --show-types -f $(wildcard kmod/*.c kmod/*.h uapi/linux/*.h)

# --- install ---------------------------------------------------------------------
install: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(UDEVDIR) $(DESTDIR)$(MODLOADDIR)
	install -m 0755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/libsync.so.1
	ln -sf libsync.so.1 $(DESTDIR)$(LIBDIR)/libsync.so
	install -m 0644 $(LIB_A) $(DESTDIR)$(LIBDIR)/libsync.a
	$(PC_SED) libsync/libsync.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/libsync.pc
	install -m 0644 libsync/include/syncmgr.h $(DESTDIR)$(INCLUDEDIR)/syncmgr.h
	install -m 0644 uapi/linux/syncmgr.h $(DESTDIR)$(INCLUDEDIR)/linux/syncmgr.h
	install -m 0644 udev/60-syncmgr.rules $(DESTDIR)$(UDEVDIR)/60-syncmgr.rules
	install -m 0644 modules-load.d/syncmgr.conf $(DESTDIR)$(MODLOADDIR)/syncmgr.conf
	install -d $(DESTDIR)$(PYTHONDIR)/syncmgr
	install -m 0644 python/syncmgr/*.py $(DESTDIR)$(PYTHONDIR)/syncmgr/
	@set -e; for m in $(MANPAGES); do \
		d=$(DESTDIR)$(MANDIR)/$$(basename $$(dirname $$m)); \
		install -d $$d; \
		if [ -L $$m ]; then cp -P $$m $$d/; else install -m 0644 $$m $$d/; fi; \
	done

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libsync.so.1 $(DESTDIR)$(LIBDIR)/libsync.so \
	      $(DESTDIR)$(LIBDIR)/libsync.a $(DESTDIR)$(LIBDIR)/pkgconfig/libsync.pc \
	      $(DESTDIR)$(INCLUDEDIR)/syncmgr.h $(DESTDIR)$(INCLUDEDIR)/linux/syncmgr.h \
	      $(DESTDIR)$(UDEVDIR)/60-syncmgr.rules $(DESTDIR)$(MODLOADDIR)/syncmgr.conf
	rm -rf $(DESTDIR)$(PYTHONDIR)/syncmgr
	rm -f $(foreach m,$(MANPAGES),$(DESTDIR)$(MANDIR)/$(notdir $(patsubst %/,%,$(dir $(m))))/$(notdir $(m)))

clean:
	rm -rf build tests/bin examples/bin libsync/libsync.so* libsync/libsync.a libsync/libsync.pc
