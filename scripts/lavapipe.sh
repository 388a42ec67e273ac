#!/usr/bin/env bash
# Sets up a second WebGPU driver for a machine without a GPU: Mesa 25's lavapipe (software Vulkan
# on LLVM) from Debian's bookworm-backports, unpacked into a cache folder so the system's own Mesa
# is untouched. Debian 12's lavapipe (Mesa 22.3) is too old for Dawn; SwiftShader, from the
# chromium package, is the other driver. Lavapipe runs kernels several times faster than
# SwiftShader, so the costs of each dispatch and submit weigh more there, as on a real GPU.
#
# Idempotent: a second run finds the folder and only prints the ICD file's path.
# Usage: scripts/lavapipe.sh   → prints the ICD json to pass as VK_ICD_FILENAMES; the folder to
#        add to LD_LIBRARY_PATH (the loader and the driver's libraries) is in library-path beside it
set -euo pipefail

home="${LATENT_LAB_CACHE:-$HOME/.cache/latent-lab}/lavapipe"
icd="$home/lvp_icd.json"
if [[ -f "$icd" ]]; then
  echo "$icd"
  exit 0
fi

# Debian's own mirror, as the machine's apt names it (deb.debian.org where it names none).
mirror=$(grep -hoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | tr -d ' ' || true)
mirror=${mirror:-http://deb.debian.org/debian}
[[ $mirror == */debian || $mirror == */debian/ ]] || mirror=http://deb.debian.org/debian
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
echo "deb $mirror bookworm-backports main" > "$work/sources.list"
echo "deb $mirror bookworm main" >> "$work/sources.list"
apt_private=(-o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" -o Debug::NoLocking=1
  -o APT::Default-Release=bookworm-backports)
echo "lavapipe: reading bookworm-backports from $mirror…" >&2
apt-get "${apt_private[@]}" update -qq >&2
# The driver, the Vulkan loader (Dawn dlopens libvulkan.so.1, which a machine without a GPU
# may lack), and the libraries backports builds the driver against (the system's may be older).
packages=(mesa-vulkan-drivers libvulkan1)
for lib in $(apt-cache "${apt_private[@]}" depends mesa-vulkan-drivers/bookworm-backports 2>/dev/null | grep -oE 'Depends: (libllvm[0-9]+|libspirv[^ ]*|libdrm[^ ]*|libz3[^ ]*)' | awk '{print $2}' | sort -u); do
  packages+=("$lib")
done
(cd "$work/debs" && apt-get "${apt_private[@]}" download -t bookworm-backports "${packages[@]}" >&2 2>/dev/null || apt-get "${apt_private[@]}" download "${packages[@]}" >&2)
rm -rf "$home.partial" && mkdir -p "$home.partial"
for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$home.partial"; done
lvp=$(find "$home.partial" -name libvulkan_lvp.so | head -1)
[[ -n $lvp ]] || { echo "lavapipe: no libvulkan_lvp.so in ${packages[*]}" >&2; exit 1; }
missing=$(LD_LIBRARY_PATH=$(dirname "$lvp") ldd "$lvp" | grep 'not found' || true)
[[ -z $missing ]] || { echo "lavapipe: the driver needs libraries this machine lacks:"$'\n'"$missing" >&2; exit 1; }
rm -rf "$home" && mv "$home.partial" "$home"
lvp=${lvp/#"$home.partial"/"$home"}
libdir=$(dirname "$lvp")
# The ICD last: its presence is what marks the folder as complete.
echo "$libdir" > "$home/library-path"
cat > "$icd" <<JSON
{ "file_format_version": "1.0.0", "ICD": { "library_path": "$lvp", "api_version": "1.3.0" } }
JSON
echo "$icd"
