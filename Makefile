# ngx_http_oauth_module: the C++ core (a static library), the nginx module built
# through nginx's own configure, oauthctl, and the tests.
NGINX_SRC ?= /usr/share/nginx/src
BUILD     ?= build
PYTHON    ?= /usr/bin/python3

CXX       ?= g++
CXXFLAGS  ?= -O2 -g
CXXFLAGS  += -std=c++23 -fPIC -Wall -Wextra -Werror=return-type \
             -Iinclude -Isrc/core -MMD -MP
CORE_LIBS := -lcrypto -ljansson -lhiredis
# SANITIZE=address,undefined builds everything instrumented (make test-asan
# does it in build/asan).
SANITIZE  ?=
SAN_FLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer)
CXXFLAGS  += $(SAN_FLAGS)

CORE_SRCS := $(shell find src/core -name '*.cpp' | sort)
CORE_OBJS := $(CORE_SRCS:%.cpp=$(BUILD)/obj/%.o)
CLI_SRCS  := $(shell find src/cli -name '*.cpp' | sort)
CLI_OBJS  := $(CLI_SRCS:%.cpp=$(BUILD)/obj/%.o)
UNIT_SRCS := $(shell find t/unit -name '*.cpp' | sort)
UNIT_OBJS := $(UNIT_SRCS:%.cpp=$(BUILD)/obj/%.o)
NGX_SRCS  := $(sort $(wildcard src/nginx/*.c))
NGX_HDRS  := $(wildcard src/nginx/*.h include/*.h)

MODULE    := $(BUILD)/ngx_http_oauth_module.so
# The vendored current stable nginx, built from source with the module.
STABLE    := $(abspath $(BUILD))/nginx-stable
STABLE_ENV = OAUTH_NGINX_BUILD=$(STABLE) OAUTH_NGINX_BIN=$(STABLE)/nginx/objs/nginx
CORE_LIB  := $(BUILD)/liboauth_core.a

.PHONY: all deps core unit test test-asan run bench clean nginx-stable fuzz fuzz-build deb deb-check
all: $(MODULE) $(BUILD)/oauthctl

deps:
	@scripts/install-deps.sh

core: $(CORE_LIB)

$(BUILD)/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(CORE_LIB): $(CORE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/oauthctl: $(CLI_OBJS) $(CORE_LIB)
	$(CXX) $(SAN_FLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(CORE_LIB) $(CORE_LIBS)

# The module goes through nginx's own configure and make (scripts/build-module.sh).
$(MODULE): $(CORE_LIB) $(NGX_SRCS) $(NGX_HDRS) config FORCE
	@OAUTH_CC_OPT="$(SAN_FLAGS)" scripts/build-module.sh $(NGINX_SRC) $(abspath $(BUILD)) $(abspath $(CORE_LIB))

nginx-stable: $(CORE_LIB) FORCE
	@scripts/build-nginx-stable.sh $(abspath $(CORE_LIB)) $(STABLE)

$(BUILD)/unit_tests: $(UNIT_OBJS) $(CORE_LIB)
	$(CXX) $(SAN_FLAGS) -o $@ $(UNIT_OBJS) $(CORE_LIB) $(CORE_LIBS) -lgtest -lgtest_main -lpthread

# The ABI from C, with garbage into every entry point (t/abi/).
$(BUILD)/abi_garbage_test: t/abi/abi_garbage_test.c include/oauth_core.h include/oauth_require.h $(CORE_LIB)
	$(CC) -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -O1 -g $(SAN_FLAGS) -Iinclude -o $@ $< $(CORE_LIB) -lstdc++ -lm $(CORE_LIBS)

# libFuzzer harnesses (t/fuzz/): the core again, compiled by clang 19 with
# libFuzzer's coverage and ASan+UBSan (any UB aborts). `make fuzz` runs each
# harness FUZZ_SECONDS (default 60); `make test` runs each for 10 s.
FUZZ_CXX     ?= clang++-19
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_FLAGS   := -std=c++23 -O1 -g -fno-omit-frame-pointer -Iinclude -Isrc/core -It/fuzz \
                -fsanitize=address,undefined -fno-sanitize-recover=all -MMD -MP
FUZZ_CORE    := $(CORE_SRCS:%.cpp=$(FUZZ_BUILD)/obj/%.o)
FUZZ_NAMES   := $(patsubst t/fuzz/fuzz_%.cpp,%,$(filter-out t/fuzz/fuzz_support.cpp,$(wildcard t/fuzz/fuzz_*.cpp)))
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_SECONDS ?= 60

$(FUZZ_BUILD)/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/liboauth_core.a: $(FUZZ_CORE)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/t/fuzz/fuzz_%.o $(FUZZ_BUILD)/obj/t/fuzz/fuzz_support.o $(FUZZ_BUILD)/liboauth_core.a
	$(FUZZ_CXX) -fsanitize=fuzzer,address,undefined -o $@ $^ $(CORE_LIBS)

.SECONDARY: $(FUZZ_NAMES:%=$(FUZZ_BUILD)/obj/t/fuzz/fuzz_%.o) $(FUZZ_BUILD)/obj/t/fuzz/fuzz_support.o
fuzz-build: $(FUZZ_BINS)

fuzz: deps
	$(MAKE) -j$$(nproc) fuzz-build
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

unit: $(BUILD)/unit_tests
	$(BUILD)/unit_tests

test: deps
	$(MAKE) -j$$(nproc) all $(BUILD)/unit_tests $(BUILD)/abi_garbage_test
	$(MAKE) nginx-stable
	$(MAKE) -j$$(nproc) fuzz-build
	$(BUILD)/unit_tests --gtest_brief=1
	$(BUILD)/abi_garbage_test
	scripts/fuzz.sh $(FUZZ_BUILD) 10 $(FUZZ_NAMES)
	scripts/integration-tests.sh $(PYTHON) $(STABLE) $(abspath $(BUILD))/test-runs

# The unit tests, the ABI garbage test (with LeakSanitizer) and the
# integration tests against the module built with ASan and UBSan, loaded by
# Debian's nginx with the ASan runtime preloaded. Any report fails.
ASAN_BUILD := $(abspath $(BUILD))/asan
ASAN_RT     = $(shell $(CXX) -print-file-name=libasan.so)
ASAN_RUN   := ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
test-asan: deps
	$(MAKE) -j$$(nproc) BUILD=$(ASAN_BUILD) SANITIZE=address,undefined all \
	    $(ASAN_BUILD)/unit_tests $(ASAN_BUILD)/abi_garbage_test
	$(MAKE) -j$$(nproc) $(BUILD)/oauthctl
	$(ASAN_RUN) $(ASAN_BUILD)/unit_tests --gtest_brief=1
	$(ASAN_RUN) $(ASAN_BUILD)/abi_garbage_test
	rm -rf $(ASAN_BUILD)/reports && mkdir -p $(ASAN_BUILD)/reports
	OAUTH_NGINX_BUILD=$(ASAN_BUILD) OAUTH_SANITIZER_PRELOAD=$(ASAN_RT) \
	    OAUTH_SANITIZER_LOGS=$(ASAN_BUILD)/reports $(PYTHON) -m pytest -q t/
	@if ls $(ASAN_BUILD)/reports | grep -qv '\.seen$$'; then \
	    cat $(ASAN_BUILD)/reports/*; echo "sanitizer reports (above)"; exit 1; fi

run: deps
	$(MAKE) -j$$(nproc) all
	scripts/quickstart.sh

bench: deps
	$(MAKE) -j$$(nproc) all
	scripts/bench.sh

# The Debian package libnginx-mod-http-oauth in build/deb/, built against
# NGINX_SRC (scripts/make-deb.sh, debian/); lintian's output follows.
deb:
	@scripts/install-deps.sh deb
	scripts/make-deb.sh $(NGINX_SRC)

# Installs that package on this machine, runs Debian's nginx -t with a site
# using oauth_require, removes it (changes /etc/nginx: not part of make test).
deb-check:
	scripts/deb-check.sh

clean:
	rm -rf $(BUILD)

FORCE:
-include $(CORE_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(FUZZ_CORE:.o=.d) \
         $(wildcard $(FUZZ_BUILD)/obj/t/fuzz/*.d)
