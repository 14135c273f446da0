using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Motor.Api.Configuration;
using Motor.Api.Items;
using Motor.Api.OpenApi;
using Motor.Api.Operations;
using Motor.Api.Model;
using Motor.Api.Recommendations;
using Motor.Api.Users;
using Motor.Api.Serving;
using Motor.Api.Storage;
using Motor.Core.Search;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;
using StackExchange.Redis;

namespace Motor.Api.Extensions;

public static class MotorServiceExtensions
{
    /// <summary>Everything the service needs: options, store, model host, security, limits, problem details, health, OpenAPI, logging.</summary>
    public static WebApplicationBuilder AddMotorServices(this WebApplicationBuilder builder)
    {
        IServiceCollection services = builder.Services;
        IConfigurationSection section = builder.Configuration.GetSection(MotorOptions.SectionName);
        services.AddOptions<MotorOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();

        // Options are read when services are resolved, not here: hosts such as the test server add configuration after this runs.
        builder.AddMotorLogging();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<MotorOptions>>((kestrel, motor) =>
        {
            kestrel.Limits.MaxRequestBodySize = motor.Value.MaxBodyBytes;

            // Above RequestShapeMiddleware's limits, so that those answers carry problem+json (Kestrel's are empty).
            kestrel.Limits.MaxRequestLineSize = 8 * RequestShapeMiddleware.MaxTargetBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 8 * RequestShapeMiddleware.MaxHeaderBytes;
        });

        services.AddSingleton<ApiMetrics>();
        services.AddSingleton<ServedModelVersion>();
        services.AddItemStore();
        services.AddSingleton<VectorIndexFactory>(provider =>
        {
            VectorPrecision precision = Enum.Parse<VectorPrecision>(provider.GetRequiredService<IOptions<MotorOptions>>().Value.IndexPrecision, ignoreCase: true);
            return (vectors, count, dimension) => new ExactVectorIndex(dimension, vectors.AsSpan(0, count * dimension), precision);
        });
        services.AddSingleton<ModelHost>();
        services.AddSingleton<BundleWatchState>();
        services.AddSingleton<Recommender>();
        services.AddSingleton<ContentFeaturizers>();
        services.AddSingleton<ItemIngestion>();
        services.AddHostedService<ServingStartup>();
        services.AddHostedService<BundleWatcher>();

        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
            json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;

            // {"k": 5, "k": 500} is a 400, not "last one wins".
            json.SerializerOptions.AllowDuplicateProperties = false;
        });

        // Bad requests throw, so the exception handler can say which field of the JSON was wrong.
        services.Configure<RouteHandlerOptions>(routeHandler => routeHandler.ThrowOnBadRequest = true);
        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
        {
            HttpRequest request = context.HttpContext.Request;
            context.ProblemDetails.Instance ??= $"{request.Method} {request.Path}";

            // Framework answers (no route, wrong method, wrong content type) come without a detail: say what was expected.
            context.ProblemDetails.Detail ??= context.ProblemDetails.Status switch
            {
                StatusCodes.Status404NotFound => $"no route matches {request.Method} {request.Path}; the API is under /v1 (see /swagger)",
                StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}",
                StatusCodes.Status415UnsupportedMediaType => $"the body must be JSON (Content-Type: application/json), got '{request.ContentType ?? "none"}'",
                _ => null,
            };
            context.ProblemDetails.Extensions["traceId"] = System.Diagnostics.Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier;
            context.ProblemDetails.Extensions["modelVersion"] = context.HttpContext.RequestServices.GetRequiredService<ServedModelVersion>().Value;
        });
        services.AddExceptionHandler<ProblemExceptionHandler>();

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeyAuthenticationHandler.PolicyName, policy => policy.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser());
        services.AddPerKeyRateLimiting();

        services.AddHealthChecks()
            .AddCheck<ModelHealthCheck>("model", tags: ["ready"])
            .AddCheck<StoreHealthCheck>("store", tags: ["ready"])
            .AddCheck<BundleHealthCheck>("bundle", tags: ["ready"]);
        services.AddMotorOpenApi();
        return builder;
    }

    private static IServiceCollection AddItemStore(this IServiceCollection services)
    {
        // One shared multiplexer per process; created only when Redis is configured.
        services.AddSingleton<IConnectionMultiplexer>(provider =>
        {
            StoreOptions store = provider.GetRequiredService<IOptions<MotorOptions>>().Value.Store;
            ConfigurationOptions configuration = ConfigurationOptions.Parse(store.Redis!);

            // Start and keep running while Redis is down; fail writes fast instead of queueing them.
            configuration.AbortOnConnectFail = false;
            configuration.BacklogPolicy = BacklogPolicy.FailFast;
            configuration.ConnectTimeout = Math.Min(configuration.ConnectTimeout, 2000);
            configuration.ReconnectRetryPolicy = new LinearRetry(500);
            return ConnectionMultiplexer.Connect(configuration);
        });
        services.AddSingleton<IItemStore>(provider =>
        {
            StoreOptions store = provider.GetRequiredService<IOptions<MotorOptions>>().Value.Store;
            return store.UsesRedis
                ? new RedisItemStore(
                    provider.GetRequiredService<IConnectionMultiplexer>(),
                    store.RedisKeyPrefix,
                    TimeSpan.FromMilliseconds(store.FeedPollMilliseconds),
                    provider.GetRequiredService<ILogger<RedisItemStore>>())
                : new EmbeddedItemStore(store.EmbeddedPath, provider.GetRequiredService<ILogger<EmbeddedItemStore>>());
        });
        return services;
    }

    /// <summary>Serilog: compact JSON on the console; every event carries ModelVersion and, inside a request, its trace ID (@tr).</summary>
    private static void AddMotorLogging(this WebApplicationBuilder builder)
    {
        builder.Services.AddSerilog((services, logger) => logger
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)

            // It logs an Error line per failing probe; readiness changes are logged once each by HealthResponse instead.
            .MinimumLevel.Override("Microsoft.Extensions.Diagnostics.HealthChecks", LogEventLevel.Fatal)
            .ReadFrom.Configuration(services.GetRequiredService<IConfiguration>())
            .Enrich.FromLogContext()
            .Enrich.With(new ModelVersionEnricher(services.GetRequiredService<ServedModelVersion>()))
            .WriteTo.Console(new RenderedCompactJsonFormatter()));
    }

    public static WebApplication MapMotorEndpoints(this WebApplication app)
    {
        MotorOptions options = app.Services.GetRequiredService<IOptions<MotorOptions>>().Value;
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.UseSerilogRequestLogging(logging =>
        {
            logging.MessageTemplate = "HTTP {RequestMethod:l} {RoutePattern:l} responded {StatusCode} in {Elapsed:0.000} ms";
            logging.EnrichDiagnosticContext = (diagnostics, context) =>
                diagnostics.Set("RoutePattern", ApiMetrics.RouteOf(context.GetEndpoint()) ?? context.Request.Path.Value ?? string.Empty);

            // What an operator can afford at the default level: writes, rejections and failures, one line each; reads
            // that succeed are Debug (Serilog__MinimumLevel__Override__Serilog.AspNetCore.RequestLoggingMiddleware=Debug
            // shows them), probes and scrapes Verbose. Metrics count every request either way.
            logging.GetLevel = (context, _, exception) =>
                exception is not null || context.Response.StatusCode >= 500 ? LogEventLevel.Error
                : context.Request.Path.StartsWithSegments("/health") || context.Request.Path.StartsWithSegments("/metrics") ? LogEventLevel.Verbose
                : context.Response.StatusCode >= 400 || !HttpMethods.IsGet(context.Request.Method) ? LogEventLevel.Information
                : LogEventLevel.Debug;
        });
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<RequestShapeMiddleware>();
        app.UseMiddleware<RequestBodyLimitMiddleware>(options.MaxBodyBytes);
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();

        app.UseSwagger();
        app.UseSwaggerUI(swagger =>
        {
            swagger.SwaggerEndpoint($"/swagger/{OpenApiSetup.DocumentName}/swagger.json", "Motor recommendation API v1");
            swagger.RoutePrefix = "swagger";
        });

        app.MapHealthChecks("/health/live", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthResponse.WriteAsync });
        app.MapHealthChecks("/health/ready", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = HealthResponse.WriteAsync });
        app.MapGet("/metrics", async (ApiMetrics metrics, IItemStore store, BundleWatchState bundleWatch, CancellationToken cancellationToken) =>
            {
                // motor_store_up is current at every scrape, not only as fresh as the last readiness probe.
                metrics.SetStoreUp((await store.CheckHealthAsync(cancellationToken)).Healthy);
                metrics.SetBundleWaiting(bundleWatch.Waiting is not null);
                return TypedResults.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
            })
            .ExcludeFromDescription();

        app.MapRecommendationsApi();
        app.MapItemsApi();
        app.MapUsersApi();
        app.MapModelApi();
        return app;
    }
}
