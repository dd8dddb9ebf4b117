#!/bin/sh
# The plugin exports its descriptor and nothing else: every internal
# symbol is hidden, so no name of ours can clash with another plugin or
# library loaded into the same process (issue #10).
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
plugin=$1
nm_out=$(nm -D --defined-only "$plugin") || { echo "nm failed on $plugin"; exit 1; }
names=$(echo "$nm_out" | awk '{ print $3 }' | sort)
expected=$(printf 'gst_plugin_v4l2elastic_get_desc\ngst_plugin_v4l2elastic_register\n')
if [ "$names" != "$expected" ]; then
  echo "unexpected exported symbols in $plugin:"
  echo "$names" | grep -vx 'gst_plugin_v4l2elastic_get_desc' | grep -vx 'gst_plugin_v4l2elastic_register' | sed 's/^/  /'
  exit 1
fi
echo "only the plugin entry points are exported: $(echo "$names" | tr '\n' ' ')"
