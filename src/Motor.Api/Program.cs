using Motor.Api.Extensions;
using Motor.Api.Operations;

if (HealthProbe.IsRequested(args))
{
    return await HealthProbe.RunAsync(args);
}

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.AddMotorServices();

WebApplication app = builder.Build();
app.MapMotorEndpoints();
await app.RunAsync();
return 0;

public partial class Program;
