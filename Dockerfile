# syntax=docker/dockerfile:1
# Motor.Service images, one Dockerfile, four targets (docs/DEPLOY.md):
#   api          the service: ASP.NET Core + ONNX Runtime (CPU), non-root, no trainer, no libtorch  (default target)
#   trainer      motor-trainer (TorchSharp + libtorch CPU): trains and writes bundles to a volume
#   api-gpu      the service with ONNX Runtime's CUDA provider on a CUDA base (-p:MotorGpu=true)
#   trainer-gpu  motor-trainer with CUDA libtorch (-p:MotorGpu=true; needs TorchSharp-cuda-linux from the feed)
#
#   podman build --target api -t motor-service/api:0.1.0 .       (docker build works the same)
#
# Bases are pinned to an exact .NET patch and distribution; pin digests too in your registry mirror
# (FROM image:tag@sha256:...). .NET 10 images are Ubuntu 24.04 (noble): its libstdc++ carries GLIBCXX_3.4.32, so
# TorchSharp's native glue loads without the patch Debian 12 needs (src/Motor.Trainer/Native/TorchNativeFix.cs).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0.100-noble
ARG ASPNET_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0.12-noble-chiseled
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/runtime:10.0.12-noble
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04
ARG APP_UID=1654

# ---- restore layer: only project files, so source edits do not invalidate the package download ----
FROM ${SDK_IMAGE} AS restore
ARG MOTOR_GPU=false
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Motor.Core/Motor.Core.csproj src/Motor.Core/
COPY src/Motor.Inference/Motor.Inference.csproj src/Motor.Inference/
COPY src/Motor.Featurizers/Motor.Featurizers.csproj src/Motor.Featurizers/
COPY src/Motor.Api/Motor.Api.csproj src/Motor.Api/
COPY src/Motor.Trainer/Motor.Trainer.csproj src/Motor.Trainer/
RUN dotnet restore src/Motor.Api -r linux-x64 -p:MotorGpu=${MOTOR_GPU}

# ---- API publish: linux-x64 only (no ONNX Runtime for other platforms), framework-dependent ----
FROM restore AS publish-api
ARG MOTOR_GPU=false
COPY src/Motor.Core/ src/Motor.Core/
COPY src/Motor.Inference/ src/Motor.Inference/
COPY src/Motor.Featurizers/ src/Motor.Featurizers/
COPY src/Motor.Api/ src/Motor.Api/
RUN dotnet publish src/Motor.Api -c Release -r linux-x64 --self-contained false --no-restore -p:MotorGpu=${MOTOR_GPU} -o /app \
    && mkdir -p /empty

# ---- trainer publish ----
FROM restore AS publish-trainer
ARG MOTOR_GPU=false
RUN dotnet restore src/Motor.Trainer -r linux-x64 -p:MotorGpu=${MOTOR_GPU}
COPY src/Motor.Core/ src/Motor.Core/
COPY src/Motor.Inference/ src/Motor.Inference/
COPY src/Motor.Featurizers/ src/Motor.Featurizers/
COPY src/Motor.Trainer/ src/Motor.Trainer/
RUN dotnet publish src/Motor.Trainer -c Release -r linux-x64 --self-contained false --no-restore -p:MotorGpu=${MOTOR_GPU} -o /app \
    && mkdir -p /empty

# ---- the demo bundle the api image serves without configuration (the service never trains) ----
FROM publish-trainer AS demo-bundle
RUN dotnet /app/Motor.Trainer.dll demo-bundle --out /demo-bundle

# ---- trainer: writes bundles to /models (a volume); runs as the non-root app user ----
FROM ${RUNTIME_IMAGE} AS trainer
ARG APP_UID
USER root
COPY --from=publish-trainer /app /app
# Applies the glue patch once as root where the base's libstdc++ needs it (a no-op on noble), so the
# non-root user never writes under /app.
RUN dotnet /app/Motor.Trainer.dll --help >/dev/null
COPY --from=publish-trainer --chown=${APP_UID}:${APP_UID} /empty /models
COPY --from=publish-trainer --chown=${APP_UID}:${APP_UID} /empty /work
ENV MOTOR_TORCH_THREADS=0
# Run from the root so that commands name the volumes relatively: --out models/v2 --current models/current.
WORKDIR /
USER ${APP_UID}
VOLUME ["/models"]
ENTRYPOINT ["dotnet", "/app/Motor.Trainer.dll"]
CMD ["--help"]

# ---- trainer with CUDA libtorch (TorchSharp-cuda-linux must be on the NuGet feed) ----
FROM ${CUDA_IMAGE} AS trainer-gpu
ARG APP_UID
COPY --from=trainer /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet && useradd --uid ${APP_UID} --no-create-home app
COPY --from=publish-trainer /app /app
COPY --from=publish-trainer --chown=${APP_UID}:${APP_UID} /empty /models
COPY --from=publish-trainer --chown=${APP_UID}:${APP_UID} /empty /work
WORKDIR /
USER ${APP_UID}
VOLUME ["/models"]
ENTRYPOINT ["dotnet", "/app/Motor.Trainer.dll"]
CMD ["--help"]

# ---- API with ONNX Runtime's CUDA provider (Motor:ExecutionProvider=auto picks CUDA when a GPU is visible) ----
FROM ${ASPNET_IMAGE} AS aspnet-runtime

FROM ${CUDA_IMAGE} AS api-gpu
ARG APP_UID
COPY --from=aspnet-runtime /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet && useradd --uid ${APP_UID} --no-create-home app
WORKDIR /app
COPY --from=publish-api /app .
COPY --from=demo-bundle /demo-bundle ./data-local/demo-bundle
COPY --from=publish-api --chown=${APP_UID}:${APP_UID} /empty /data
ENV ASPNETCORE_HTTP_PORTS=8080 \
    Motor__Store__EmbeddedPath=/data/motor-store.log
USER ${APP_UID}
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["dotnet", "/app/Motor.Api.dll", "healthcheck", "http://127.0.0.1:8080/health/live"]
ENTRYPOINT ["dotnet", "/app/Motor.Api.dll"]

# ---- API (default target): chiseled base (no shell, no package manager), non-root, writable /data only ----
FROM ${ASPNET_IMAGE} AS api
ARG APP_UID
WORKDIR /app
COPY --from=publish-api /app .
COPY --from=demo-bundle /demo-bundle ./data-local/demo-bundle
COPY --from=publish-api --chown=${APP_UID}:${APP_UID} /empty /data
# Mount point of the bundle volume (read-only for the service).
COPY --from=publish-api /empty /models
# Motor:BundlePath empty serves the demo bundle made in the demo-bundle stage (data-local/demo-bundle under /app);
# mount a bundle and set Motor:BundlePath for real models.
ENV ASPNETCORE_HTTP_PORTS=8080 \
    ASPNETCORE_ENVIRONMENT=Production \
    Motor__Store__EmbeddedPath=/data/motor-store.log
USER ${APP_UID}
EXPOSE 8080
VOLUME ["/data"]
# The base has no curl or shell: the service binary probes itself (exit 0 when /health/live answers 200).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["dotnet", "/app/Motor.Api.dll", "healthcheck", "http://127.0.0.1:8080/health/live"]
ENTRYPOINT ["dotnet", "/app/Motor.Api.dll"]
