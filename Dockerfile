# Motor.Api container. Built on the .NET 10 images (Debian 13), whose libstdc++ already has GLIBCXX_3.4.32, so
# TorchSharp's native glue (used only to build the demo bundle) needs no patching there.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Motor.Api -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://+:8080 \
    Motor__BundlePath=/models/current
EXPOSE 8080
VOLUME ["/models", "/data"]
ENTRYPOINT ["dotnet", "Motor.Api.dll"]
