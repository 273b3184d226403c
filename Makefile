# vault2kv: migrate secrets from HashiCorp Vault to Azure Key Vault.
# See README.md; `make check` is the test command, `make demo` the tour.

CC	?= cc
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANPREFIX ?= $(PREFIX)/share/man
# bash-completion loads a command's completion from a file of its name.
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
DISTDIR	?= .
DESTDIR	?=

CFLAGS	?= -O2 -g
WARN	 = -std=c11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
	   -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
HARDEN	 = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDENLD = -pie -Wl,-z,relro,-z,now
# SAN=1: AddressSanitizer and UndefinedBehaviorSanitizer for the same suites.
ifeq ($(SAN),1)
HARDEN	 = -fstack-protector-strong -fPIE
SANFLAGS = -fsanitize=address,undefined,float-cast-overflow \
	   -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined,float-cast-overflow
endif
ALL_CPPFLAGS = -D_GNU_SOURCE -Icommon $(CPPFLAGS)
ALL_CFLAGS = $(WARN) $(HARDEN) $(SANFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(HARDENLD) $(SANFLAGS) $(LDFLAGS)
# common/alloc.c's free and realloc: nothing calls them by a name only
# they define, so the linker is told to take the object.
LINKALLOC = -Wl,--undefined=alloc_wiping
LIBS	 = -lcurl -ljq -lssl -lcrypto -lpthread -lm

TOOLS	:= $(sort $(patsubst %/main.c,%,$(wildcard */main.c)))
BINS	:= $(foreach t,$(TOOLS),$(t)/$(t))
LIBSRC	:= $(sort $(wildcard common/*.c))
LIBOBJ	:= $(LIBSRC:.c=.o)
# Every header of the library: common.h and the parts it includes.
HDRS	:= $(sort $(wildcard common/*.h))
UNITSRC	:= $(sort $(wildcard tests/unit/test_*.c))
UNITS	:= $(UNITSRC:.c=)
MANS	:= $(sort $(wildcard man/*.[1-9]))
BATS	:= $(sort $(wildcard tests/*.bats))

# What --version says besides V2K_VERSION: the commit of a git checkout
# (a tarball of make dist has none, and says none), and libjq's version,
# which libjq 1.6 cannot tell at run time (Debian's has no pkg-config file).
COMMIT	:= $(shell test -e .git && git describe --always --dirty 2>/dev/null)
JQVERSION := $(shell pkg-config --modversion libjq 2>/dev/null || \
	     dpkg-query -W -f '$${Version}' libjq-dev 2>/dev/null | \
	     sed 's/-[^-]*$$//')
VERSION	:= $(shell sed -n 's/^\#define[ \t]*V2K_VERSION[ \t]*"\(.*\)"/\1/p' \
	     common/common.h)
VERSIONDEFS = -DV2K_COMMIT='"$(COMMIT)"' -DV2K_JQ_VERSION='"$(JQVERSION)"'
VSTAMP	 = .build-version

# The flags every object was built with: a change rebuilds everything.
STAMP	 = .build-flags
FLAGS_NOW = $(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS)

.PHONY: all check unit test-bats demo bench fuzz deps install uninstall \
	dist clean FORCE

all: $(BINS)

$(STAMP): FORCE
	@if [ "$$(cat $@ 2>/dev/null)" != "$(FLAGS_NOW)" ]; then \
		echo "$(FLAGS_NOW)" >$@; fi

# Only msg.o says the commit: a new commit rebuilds it alone.
$(VSTAMP): FORCE
	@if [ "$$(cat $@ 2>/dev/null)" != "$(COMMIT) $(JQVERSION)" ]; then \
		echo "$(COMMIT) $(JQVERSION)" >$@; fi

common/msg.o: common/msg.c $(HDRS) $(STAMP) $(VSTAMP)
	$(CC) $(ALL_CPPFLAGS) $(VERSIONDEFS) $(ALL_CFLAGS) -c -o $@ $<

common/%.o: common/%.c $(HDRS) $(STAMP)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

common/libcommon.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

# Each tool: TOOL/*.c (and its own TOOL/*.h) linked with libcommon.a
# into TOOL/TOOL.
.SECONDEXPANSION:
$(BINS): $$(sort $$(wildcard $$(dir $$@)*.[ch])) $(HDRS) \
	    common/libcommon.a $(STAMP)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -o $@ $(filter %.c,$^) \
	    $(LINKALLOC) common/libcommon.a $(ALL_LDFLAGS) $(LIBS)

tests/unit/%: tests/unit/%.c tests/unit/unit.h $(HDRS) \
	    common/libcommon.a $(STAMP)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(LINKALLOC) \
	    common/libcommon.a $(ALL_LDFLAGS) $(LIBS)

# The scanner of freed heap blocks that tests/hygiene.bats preloads into
# the tools: built plainly, whatever SAN says (that suite skips it then).
SCANFREE = tests/hygiene/scanfree.so
$(SCANFREE): tests/hygiene/scanfree.c
	$(CC) $(WARN) -O2 -shared -fPIC -o $@ $<

# deps: install what a fresh Debian 12 machine lacks (apt-get when root),
# else say the one command to run.
deps:
	@sh tests/deps.sh

# VALGRIND=1 runs the unit tests and every tool the suites start under
# valgrind; SAN=1 builds everything with the sanitizers.
ifeq ($(VALGRIND),1)
VG	 = valgrind -q --error-exitcode=99 --leak-check=full \
	   --errors-for-leak-kinds=definite --track-fds=no
endif

unit: $(UNITS)
	@set -e; for t in $(UNITS); do echo "unit: $$t"; $(VG) ./$$t; done

test-bats: all $(SCANFREE)
	V2K_VALGRIND="$(VG)" V2K_SAN="$(filter 1,$(SAN))" bats $(BATS)

check: deps
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory test-bats

demo: deps
	@$(MAKE) --no-print-directory all
	@bash tests/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@N="$(N)" LATENCY="$(LATENCY)" OUT="$(OUT)" bash tests/bench.sh

fuzz:
	@sh tests/fuzz/run.sh $(FUZZTIME)

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANPREFIX)/man1 \
	    $(DESTDIR)$(MANPREFIX)/man7 $(DESTDIR)$(COMPLETIONDIR)
	for b in $(BINS); do install -m 755 $$b $(DESTDIR)$(BINDIR)/; done
	for m in $(MANS); do \
		s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANPREFIX)/man$$s/; \
	done
	for t in $(TOOLS); do \
		install -m 644 man/vault2kv.bash $(DESTDIR)$(COMPLETIONDIR)/$$t; \
	done

uninstall:
	for t in $(TOOLS); do \
		rm -f $(DESTDIR)$(BINDIR)/$$t $(DESTDIR)$(COMPLETIONDIR)/$$t; \
	done
	for m in $(MANS); do \
		s=$${m##*.}; rm -f $(DESTDIR)$(MANPREFIX)/man$$s/$${m#man/}; \
	done

# dist: vault2kv-VERSION.tar.gz of the commit checked out (git archive:
# what is committed, never build products), which builds and passes
# make check without git.
dist:
	@test -e .git || { echo "make dist: needs a git checkout" >&2; exit 2; }
	@git diff --quiet HEAD || echo "make dist: uncommitted changes are" \
	    "not in the tarball: it holds $$(git describe --always)" >&2
	git archive --format=tar.gz --prefix=vault2kv-$(VERSION)/ \
	    -o $(DISTDIR)/vault2kv-$(VERSION).tar.gz HEAD

clean:
	rm -f $(BINS) $(LIBOBJ) common/libcommon.a $(UNITS) $(STAMP) $(VSTAMP) \
	    $(SCANFREE)
	rm -rf tests/fuzz/bin
