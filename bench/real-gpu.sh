#!/usr/bin/env bash
# weft's first numbers on a real GPU: the bench cases in Node on Dawn (the `webgpu` package) on a bare
# Linux x86-64 machine that has an NVIDIA GPU, its driver and Node ≥ 20, and nothing else.
#
#   bench/real-gpu.sh --prepare     here (with the repository set up): builds dist/ and packs into
#                                   .real-gpu/ all the run needs (~55 MB): the Node bundles, the
#                                   webgpu package's linux-x64 dawn.node, Debian's libvulkan1 .deb,
#                                   the Fashion-MNIST .gz files
#   bench/real-gpu.sh [bench options]   there (carry .real-gpu/): unpacks the Vulkan loader when the
#                                   machine lacks one, points the loader at the NVIDIA driver when
#                                   it does not find it, and writes one JSON file:
#                                   fit samples/s of the four article models at batch 32, 256 and
#                                   1024, dispatches/submits/readbacks per step, one-step time,
#                                   matmul 1024³ and 4096³ GFLOP/s (a few minutes on a GPU)
#
# Extra arguments go to bench/run.mjs after the defaults (a later option wins), e.g. a quick check on
# SwiftShader: bench/real-gpu.sh --models mlp --batches 32 --samples 1024 --matmul-shapes 256
# Environment: WEFT_REAL_GPU_OUT (default out/real-gpu.json), WEFT_VK_ICD (a driver manifest to use),
# WEFT_REAL_GPU_TIMEOUT (seconds, default 900).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pack="$root/.real-gpu"
cd "$root"
say() { echo "real-gpu: $*" >&2; }

if [[ "${1:-}" == "--prepare" ]]; then
  node scripts/build.mjs
  rm -rf "$pack" && mkdir -p "$pack/dist" "$pack/node_modules/webgpu/dist" "$pack/debs" "$pack/fashion-mnist"
  cp dist/weft.node.js dist/weft-testing.node.js dist/weft-bench.js "$pack/dist/"
  cp node_modules/webgpu/{index.js,package.json,LICENSE.md} "$pack/node_modules/webgpu/"
  cp -r node_modules/webgpu/dist/linux-x64 "$pack/node_modules/webgpu/dist/"
  (cd "$pack/debs" && apt-get download libvulkan1 2>/dev/null) || say "apt-get download libvulkan1 failed: the run then needs the machine's own libvulkan.so.1"
  cp /usr/share/datasets/fashion-mnist/*.gz "$pack/fashion-mnist/"
  say "packed $(du -sh "$pack" | cut -f1) into .real-gpu/; carry it with the repository and run bench/real-gpu.sh there"
  exit 0
fi

# ---- what the run brings: bundles, webgpu, dataset (used in place when the repository has them) ----
command -v node >/dev/null || { say "node (≥ 20) is not installed"; exit 1; }
for f in weft.node.js weft-testing.node.js weft-bench.js; do
  [[ -f "dist/$f" ]] || { [[ -f "$pack/dist/$f" ]] && mkdir -p dist && cp "$pack/dist/$f" dist/; } || { say "dist/$f is missing: run bench/real-gpu.sh --prepare (or npm run build)"; exit 1; }
done
if [[ ! -e node_modules/webgpu/index.js ]]; then
  [[ -d "$pack/node_modules/webgpu" ]] || { say "node_modules/webgpu is missing: run bench/real-gpu.sh --prepare"; exit 1; }
  mkdir -p node_modules && rm -rf node_modules/webgpu && ln -s "$pack/node_modules/webgpu" node_modules/webgpu
fi
if [[ -z "${WEFT_DATASET_DIR:-}" ]]; then
  if [[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]]; then export WEFT_DATASET_DIR=/usr/share/datasets/fashion-mnist
  else export WEFT_DATASET_DIR="$pack/fashion-mnist"; fi
fi

# ---- the Vulkan loader: the machine's, else Debian's libvulkan1 unpacked here ----
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
  deb="$(ls "$pack"/debs/libvulkan1_*.deb 2>/dev/null | head -1 || true)"
  [[ -n "$deb" ]] || { say "no libvulkan.so.1 on this machine and no .deb in .real-gpu/debs (run --prepare)"; exit 1; }
  unpacked="$pack/vulkan-loader"
  rm -rf "$unpacked" && mkdir -p "$unpacked"
  if command -v dpkg-deb >/dev/null; then dpkg-deb -x "$deb" "$unpacked"
  else (cd "$unpacked" && ar x "$deb" && tar -xf data.tar.* ); fi
  export LD_LIBRARY_PATH="$unpacked/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  say "Vulkan loader: $deb, unpacked"
fi

# ---- the NVIDIA driver's manifest, written when the loader would not find one ----
icd_dirs=(/etc/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/share/vulkan/icd.d)
if [[ -z "${WEFT_VK_ICD:-}${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]] && ! grep -qsil nvidia "${icd_dirs[@]/%//*.json}"; then
  lib="$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0 /{print $NF; exit}')"
  for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/nvidia/lib64; do
    [[ -z "$lib" && -e "$d/libGLX_nvidia.so.0" ]] && lib="$d/libGLX_nvidia.so.0"
  done
  if [[ -n "$lib" ]]; then
    icd="$pack/nvidia_icd.json"
    mkdir -p "$pack"
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$lib" > "$icd"
    export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
    say "NVIDIA Vulkan driver: $lib (manifest $icd)"
  else
    say "no NVIDIA Vulkan driver found (libGLX_nvidia.so.0); Dawn takes what the loader finds, else SwiftShader"
  fi
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/real-gpu: GPU: /' >&2 || true

out="${WEFT_REAL_GPU_OUT:-out/real-gpu.json}"
mkdir -p "$(dirname "$out")"
timeout "${WEFT_REAL_GPU_TIMEOUT:-900}" node bench/run.mjs --node --repeats 1 --samples 8192 \
  --models mlp,wideDeep,multiInput,multiOutput --batches 32,256,1024 --cases fit,step,matmul --matmul-shapes 1024,4096 \
  --json "$out" "$@"
say "wrote $out"
