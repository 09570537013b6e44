#!/usr/bin/env bash
# fuzz/triage.sh FUZZER INPUT...: runs each input once through a fuzzer binary and prints
# one line per input: its name, the first sanitizer / libFuzzer report line and the
# first three stack frames in ovjax code, so that many crash files sort into bugs
# (docs/fuzzing.md). An input that no longer fails prints empty fields.
set -u
bin=$1
shift
for f in "$@"; do
  out=$(UBSAN_OPTIONS=print_stacktrace=1 ASAN_OPTIONS=allocator_may_return_null=1 \
        timeout 120 "$bin" -rss_limit_mb=4096 -malloc_limit_mb=2048 "$f" 2>&1)
  err=$(echo "$out" | grep -m1 -E 'ERROR: |runtime error|FINDING|out-of-memory|Timeout|deadly' |
        sed 's/.*\(ERROR: \)/\1/' | cut -c1-140)
  frames=$(echo "$out" | grep -E '^ +#[0-9]+ .* in ovjax' | head -3 |
           sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ in //; s/\(.*\)//; s|.*/src/cpp/|src/cpp/|' | cut -c1-150 | tr '\n' ';')
  echo "$(basename "$f") | $err | $frames"
done
