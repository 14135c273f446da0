using Motor.Api.Extensions;
using Motor.Api.Operations;
using Motor.Api.Storage;

// Operator commands of the same binary (the API image has no shell): the container HEALTHCHECK and the store repair.
if (HealthProbe.IsRequested(args))
{
    return await HealthProbe.RunAsync(args);
}

if (StoreRepair.IsRequested(args))
{
    return StoreRepair.Run(args);
}

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.AddMotorServices();

WebApplication app = builder.Build();
app.MapMotorEndpoints();
await app.RunAsync();
return Environment.ExitCode;

public partial class Program;
