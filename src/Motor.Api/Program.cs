using Motor.Api.Extensions;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.AddMotorServices();

WebApplication app = builder.Build();
app.MapMotorEndpoints();
app.Run();

public partial class Program;
