# gst-v4l2-elastic: table helpers shared by the benchmark scripts that read
# a pool-run CSV (tests/kernel/h264-pool-run.c).  Source it with $csv set.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

# v LABEL KEY: a summary value.
v() { awk -F, -v l="$1" -v k="$2" '$1 == "summary" && $2 == l && $3 == k { print $4 }' "$csv"; }
# ratio A B: A / B with three decimals, or n/a.
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.3f\n", a / b }'
}
num() { [ -n "$1" ] && printf "%s" "$1" || printf "n/a"; }
row() { # NAME OURS UPSTREAM
  printf '| %s | %s | %s | %s |\n' "$1" "$(num "$2")" "$(num "$3")" "$(ratio "$2" "$3")"
}
row3() { # NAME OURS UPSTREAM UPSTREAM-1.26: two ratios, ours / each
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$(num "$2")" "$(num "$3")" "$(num "$4")" \
    "$(ratio "$2" "$3")" "$(ratio "$2" "$4")"
}
# med LABEL KEY: the median over the rounds of LABEL (LABEL-r1 ..
# LABEL-r$rounds; rounds defaults to 3).
med() {
  for r in $(seq 1 "${rounds:-3}"); do v "$1-r$r" "$2"; done | grep -v '^$' | sort -g |
    awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}
changes() { # LABEL: STREAMOFF + freeing REQBUFS(0) on CAPTURE, as "a + b"
  echo "$(v "$1" kernel_streamoff) + $(v "$1" kernel_reqbufs_free)"
}
