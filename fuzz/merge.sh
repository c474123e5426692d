#!/bin/sh
# Minimises the corpus of each TARGET given into corpus/TARGET: the inputs of corpus-work/ and
# corpus-raw/ no larger than LIMIT bytes (default 16 KiB, so the committed corpora stay small), merged
# by libFuzzer (`-merge=1`, what `cargo fuzz cmin` does) into the smallest set with the same coverage.
# Run from fuzz/.
set -u
limit=${LIMIT:-16384}
for t in "$@"; do
  tmp=$(mktemp -d)
  for d in corpus/$t corpus-work/$t corpus-raw/$t; do
    [ -d $d ] && find $d -type f -size -$((limit + 1))c -exec cp {} $tmp/ \;
  done
  rm -rf corpus/$t; mkdir -p corpus/$t
  target/x86_64-unknown-linux-gnu/release/$t -merge=1 -rss_limit_mb=1024 -timeout=10 corpus/$t $tmp > logs/$t.merge 2>&1
  rm -rf $tmp
  echo "$t: $(ls corpus/$t | wc -l) files, $(cat corpus/$t/* | wc -c) bytes"
done
