#!/usr/bin/env bash
# Compares two builds of the JMH jar on the same benchmarks, run at the same time, each pinned to a core of
# its own (the cores swapped every round), so that both see the same machine speed: on a VM whose speed
# changes over minutes, runs one after the other differ by more than the change being measured.
#
#   jmh/side-by-side.sh BEFORE.jar AFTER.jar ROUNDS OUTDIR REGEX [JMH OPTIONS...]
#
# Each round runs both jars once (one fork each, as the options say); OUTDIR gets each run's CSV and log,
# and summary.txt: per benchmark and parameters, the median score of each jar and the median and range of
# the per-round ratios AFTER/BEFORE. Needs two CPUs and taskset. Example (the statistics' cost):
#
#   jmh/side-by-side.sh /tmp/before.jar jmh/target/jmh.jar 6 /tmp/cmp \
#     'PioBurstBenchmark.pioOrderedLongBurst$|QueueBenchmark.offerPoll$' -p size=256 -f 1 -wi 3 -i 5 -w 1 -r 1
set -euo pipefail
if [ $# -lt 5 ]; then
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
before=$1 after=$2 rounds=$3 out=$4 regex=$5
shift 5
mkdir -p "$out"
for r in $(seq 1 "$rounds"); do
    if [ $((r % 2)) = 1 ]; then cb=0 ca=1; else cb=1 ca=0; fi
    # two JMH runs at once: each takes JMH's lock file, so the lock is ignored
    taskset -c $cb java -Djmh.ignoreLock=true -jar "$before" "$regex" "$@" -rf csv -rff "$out/before-$r.csv" > "$out/before-$r.log" 2>&1 &
    taskset -c $ca java -Djmh.ignoreLock=true -jar "$after" "$regex" "$@" -rf csv -rff "$out/after-$r.csv" > "$out/after-$r.log" 2>&1 &
    wait
    echo "round $r of $rounds done"
done
# CSV rows: "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit",params...
awk -F, '
    function key(   k, i) { k = $1; for (i = 8; i <= NF; i++) k = k "," $i; gsub(/"/, "", k); return k }
    FNR == 1 { split(FILENAME, p, "/"); f = p[length(p)]; side = (f ~ /^before/) ? "b" : "a";
               round = f; gsub(/[^0-9]/, "", round); next }
    { s[key() SUBSEP side SUBSEP round] = $5; keys[key()] = 1; rounds[round] = 1 }
    function median(v, n,   i, j, t) {
        for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    END {
        printf "%-60s %10s %10s %8s %16s\n", "benchmark,params", "before", "after", "ratio", "ratio range"
        for (k in keys) {
            nb = na = nr = 0; delete b; delete a; delete q
            for (r in rounds) {
                x = s[k SUBSEP "b" SUBSEP r]; y = s[k SUBSEP "a" SUBSEP r]
                if (x != "") b[++nb] = x
                if (y != "") a[++na] = y
                if (x != "" && y != "" && x > 0) q[++nr] = y / x
            }
            if (nr == 0) continue
            mb = median(b, nb); ma = median(a, na); mr = median(q, nr)
            printf "%-60s %10.3f %10.3f %8.3f %7.3f-%-7.3f\n", k, mb, ma, mr, q[1], q[nr]
        }
    }' "$out"/before-*.csv "$out"/after-*.csv | tee "$out/summary.txt"
