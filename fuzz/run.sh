#!/bin/sh
# One fuzz run as docs/security.md describes: TARGET for SECONDS (default 600), 1 GiB RSS limit, 10 s per
# input; new inputs go to corpus-work/TARGET, crashes to artifacts/TARGET/. The load average is sampled
# every 30 s into logs/TARGET.load. Run from fuzz/ after `RUSTC_BOOTSTRAP=1 cargo fuzz build`.
set -u
t=$1; secs=${2:-600}
bin=target/x86_64-unknown-linux-gnu/release/$t
mkdir -p corpus-work/$t artifacts/$t logs
seeds=""; for d in corpus/$t corpus-raw/$t; do [ -d $d ] && seeds="$seeds $d"; done
( while :; do cat /proc/loadavg >> logs/$t.load; sleep 30; done ) & sampler=$!
/usr/bin/time -v $bin corpus-work/$t $seeds -max_total_time=$secs -rss_limit_mb=1024 -timeout=10 \
  -artifact_prefix=artifacts/$t/ -print_final_stats=1 > logs/$t.log 2>&1
echo "exit $?" >> logs/$t.log
kill $sampler
