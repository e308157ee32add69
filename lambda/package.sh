#!/usr/bin/env bash
# Assemble the provided.al2023 zip from BUILD/pkg/bootstrap: the shared libraries it loads (found with ldd on
# BUILD/bootstrap, the same objects linked normally), the glibc loader they need, MariaDB Connector/C's
# authentication plugins, a CA bundle, and the licences of everything bundled. Usage: package.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: package.sh BUILD_DIR}
stage="$build/pkg/root"
zipfile="$build/rdssecret-rotation.zip"
rm -rf "$stage" "$zipfile"
mkdir -p "$stage/lib/plugin" "$stage/certs" "$stage/licenses"

install -m 0755 "$build/pkg/bootstrap" "$stage/bootstrap"
strip --strip-unneeded "$stage/bootstrap"

libs=$(ldd "$build/bootstrap" | awk '$2 == "=>" && $3 ~ /^\// {print $3}')
loader=$(ldd "$build/bootstrap" | awk '$1 ~ /^\/.*ld-linux/ {print $1}')
[ -n "$loader" ] || { echo "package.sh: no glibc loader found by ldd" >&2; exit 1; }
plugin_dir=$(pkg-config --variable=plugindir libmariadb 2>/dev/null || true)
[ -d "$plugin_dir" ] || plugin_dir=$(mariadb_config --plugindir)
for lib in $libs; do
  install -m 0644 "$(readlink -f "$lib")" "$stage/lib/$(basename "$lib")"
done
install -m 0755 "$(readlink -f "$loader")" "$stage/lib/ld-linux-x86-64.so.2"
for p in caching_sha2_password sha256_password client_ed25519 mysql_clear_password dialog; do
  if [ -f "$plugin_dir/$p.so" ]; then
    install -m 0644 "$plugin_dir/$p.so" "$stage/lib/plugin/$p.so"
    # A plugin's own dependencies must be in the zip too.
    for dep in $(ldd "$plugin_dir/$p.so" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'); do
      [ -f "$stage/lib/$(basename "$dep")" ] || install -m 0644 "$(readlink -f "$dep")" "$stage/lib/$(basename "$dep")"
    done
  fi
done
# Used for HTTPS to Secrets Manager only when the system has no bundle of its own (Amazon Linux has one).
install -m 0644 /etc/ssl/certs/ca-certificates.crt "$stage/certs/ca-bundle.crt"

# Licences of the bundled libraries, by the Debian package that ships each file.
for f in "$stage"/lib/*.so* "$stage"/lib/plugin/*.so; do
  name=$(basename "$f")
  src=$( { ldd "$build/bootstrap"; echo "$loader"; } | awk -v n="$name" '$1 == n {print $3} $1 ~ n"$" && $1 ~ /^\// {print $1}' | head -n 1)
  [ -n "$src" ] || src="$plugin_dir/$name"
  pkg=$(dpkg -S "$(readlink -f "$src")" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
  if [ -n "$pkg" ] && [ -f "/usr/share/doc/$pkg/copyright" ] && [ ! -f "$stage/licenses/$pkg" ]; then
    install -m 0644 "/usr/share/doc/$pkg/copyright" "$stage/licenses/$pkg"
    echo "$pkg $(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null)" >>"$stage/licenses/PACKAGES"
  fi
done
[ -f "$stage/licenses/PACKAGES" ] && sort -u -o "$stage/licenses/PACKAGES" "$stage/licenses/PACKAGES"

# Fixed timestamps and no extra attributes: the same inputs give the same zip.
find "$stage" -exec touch -h -d '2000-01-01 00:00:00 UTC' {} +
(cd "$stage" && find . -type f | LC_ALL=C sort | sed 's|^\./||' | zip -q -X -@ "../../rdssecret-rotation.zip")
echo "package.sh: $(du -h "$zipfile" | cut -f1) $zipfile ($(find "$stage" -type f | wc -l) files)"
