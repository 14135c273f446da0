#!/usr/bin/env bash
# Stand-ins for the Microsoft .NET base images, for machines that cannot reach mcr.microsoft.com (air-gapped build
# hosts, and the machine this project is developed on). Debian 12 minbase from debootstrap plus this machine's own .NET
# 10 install, as three local images:
#   localhost/motor-base/sdk:10.0      the SDK (build stages)
#   localhost/motor-base/aspnet:10.0   .NET + ASP.NET Core runtimes, user app (1654), no SDK
#   localhost/motor-base/runtime:10.0  .NET runtime only (trainer)
# Then: podman build --isolation chroot --build-arg SDK_IMAGE=localhost/motor-base/sdk:10.0 \
#         --build-arg ASPNET_IMAGE=localhost/motor-base/aspnet:10.0 --build-arg RUNTIME_IMAGE=localhost/motor-base/runtime:10.0 \
#         --target api -t motor-service/api:dev .
# No ICU in them: invariant globalization (the service sets InvariantGlobalization itself). Needs root, debootstrap, podman (apt-get install -y debootstrap podman buildah) and a Debian mirror.
set -euo pipefail

ROOTFS=${ROOTFS:-/tmp/motor-base-rootfs}
WORK=${WORK:-/tmp/motor-base-context}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
DOTNET_HOME=$(dirname "$(readlink -f "$(command -v dotnet)")")
RUNTIME_VERSION=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')
ASPNET_VERSION=$(dotnet --list-runtimes | awk '$1 == "Microsoft.AspNetCore.App" { v = $2 } END { print v }')
log() { printf '[base-images] %s\n' "$*" >&2; }

if [[ ! -x "$ROOTFS/bin/sh" ]]; then
  log "debootstrap bookworm (minbase) into $ROOTFS"
  debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" > /tmp/motor-base-debootstrap.log
fi
log "runtime dependencies of .NET (libssl3, ca-certificates, tzdata) and trimming"
chroot "$ROOTFS" /bin/sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libssl3 ca-certificates tzdata >/dev/null && apt-get clean'
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/* "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/locale/*
chroot "$ROOTFS" /bin/sh -c 'id app >/dev/null 2>&1 || useradd --uid 1654 --user-group --no-create-home --home-dir /app app'

log "image localhost/motor-base/debian:12"
tar -C "$ROOTFS" -c . | podman import --change 'CMD ["/bin/bash"]' - localhost/motor-base/debian:12 >/dev/null

# One context folder per image: only the parts of the .NET install that image carries.
stage() {
  local name=$1; shift
  rm -rf "${WORK:?}/$name"; mkdir -p "$WORK/$name/dotnet/shared"
  cp -a "$DOTNET_HOME/dotnet" "$DOTNET_HOME/host" "$WORK/$name/dotnet/"
  for part in "$@"; do mkdir -p "$WORK/$name/dotnet/$(dirname "$part")"; cp -a "$DOTNET_HOME/$part" "$WORK/$name/dotnet/$part"; done
}
stage runtime "shared/Microsoft.NETCore.App/$RUNTIME_VERSION"
stage aspnet "shared/Microsoft.NETCore.App/$RUNTIME_VERSION" "shared/Microsoft.AspNetCore.App/$ASPNET_VERSION"
rm -rf "${WORK:?}/sdk"; mkdir -p "$WORK/sdk/ca"; cp -a "$DOTNET_HOME" "$WORK/sdk/dotnet"
# A build host behind a TLS-inspecting proxy (NuGet restore goes through it): the sdk stand-in trusts the host's extra
# CA certificates. Only the build stages; the runtime images never see them.
cp -a "${EXTRA_CA_DIR:-/usr/local/share/ca-certificates}"/. "$WORK/sdk/ca/" 2>/dev/null || true

for name in runtime aspnet sdk; do
  user=app; [[ $name == sdk ]] && user=root
  trust=""; [[ $name == sdk ]] && trust=$'COPY ca/ /usr/local/share/ca-certificates/\nRUN update-ca-certificates >/dev/null'
  cat > "$WORK/$name/Containerfile" <<CONTAINERFILE
FROM localhost/motor-base/debian:12
COPY dotnet/ /usr/share/dotnet/
RUN ln -sf /usr/share/dotnet/dotnet /usr/bin/dotnet
$trust
ENV DOTNET_RUNNING_IN_CONTAINER=true DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 APP_UID=1654 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=true
USER $user
CONTAINERFILE
  log "image localhost/motor-base/$name:10.0 (.NET $RUNTIME_VERSION)"
  podman build --isolation chroot -q -t "localhost/motor-base/$name:10.0" "$WORK/$name" >/dev/null
done
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep motor-base
